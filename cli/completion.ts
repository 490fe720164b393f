/**
 * bulwark completion bash|zsh: a completion script generated from the command tree itself
 * (subcommands, their options and option choices), so it cannot fall behind the commands.
 * Stack names come from ./stacks/Pulumi.<name>.yaml, control ids from the catalogue.
 * zsh loads the same function through bashcompinit (zsh's own bash-completion emulation).
 */
import type { Command, Option } from 'commander';
import { CATALOGUE } from '../core/controls/catalogue';

const longOf = (o: Option) => o.long ?? o.short ?? '';

/** `cmd:--option` → its choices. */
function choices(program: Command): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const c of [program, ...program.commands])
    for (const o of c.options as Option[]) if (o.argChoices?.length) out.push([`${c === program ? '*' : c.name()}:${longOf(o)}`, o.argChoices]);
  return out;
}

const FILE_OPTIONS = ['--stack-file', '--out', '--secrets', '--repo', '--base', '--head', '--snapshot', '--kubeconfig'];

export function bashCompletion(program: Command): string {
  const commands = program.commands.map((c) => c.name());
  const globals = (program.options as Option[]).map(longOf).filter(Boolean);
  const cases = program.commands
    .map((c) => `    ${c.name()}) opts="${[...(c.options as Option[]).map(longOf), '--help', ...globals].join(' ')}" ;;`)
    .join('\n');
  const choiceCases = choices(program)
    .map(([k, v]) => `    ${k}) COMPREPLY=($(compgen -W "${v.join(' ')}" -- "$cur")); return ;;`)
    .join('\n');
  return `# bulwark bash completion: eval "$(bulwark completion bash)" (or save it under bash-completion's completions/)
_bulwark() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="" opts="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) cmd="\${COMP_WORDS[i]}"; break ;; esac
  done
  if [ -z "$cmd" ] && [[ "$cur" != -* ]]; then
    COMPREPLY=($(compgen -W "${[...commands, "help"].join(" ")}" -- "$cur")); return
  fi
  case "\${cmd:-*}:$prev" in
${choiceCases}
    completion:completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")); return ;;
    explain:explain) COMPREPLY=($(compgen -W "${CATALOGUE.map((c) => c.id).join(' ')}" -- "$cur")); return ;;
  esac
  case "$prev" in
    --stack|-s) COMPREPLY=($(compgen -W "$(ls stacks 2>/dev/null | sed -n 's/^Pulumi\\.\\(.*\\)\\.yaml$/\\1/p')" -- "$cur")); return ;;
    ${FILE_OPTIONS.join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  case "$cmd" in
${cases}
    *) opts="${[...globals, '--help', '--version'].join(' ')}" ;;
  esac
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -F _bulwark bulwark
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef bulwark
# bulwark zsh completion: eval "$(bulwark completion zsh)" in ~/.zshrc. The bash function, through zsh's bashcompinit.
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program)}`;
}
