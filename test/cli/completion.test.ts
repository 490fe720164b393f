/** bulwark completion bash|zsh: the script completes subcommands, options, choices and stack names in a real bash. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../core/stack';
import { cli } from './run';

/** COMPREPLY of the completion function for a command line ending at the cursor. */
function complete(script: string, words: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-completion-'));
  writeFileSync(join(dir, 'c.bash'), script);
  // the words go in through the environment, never into the shell text
  const out = execFileSync('bash', ['-c', 'source "$1"; read -ra COMP_WORDS <<< "$WORDS"; [ -n "$LAST_EMPTY" ] && COMP_WORDS+=(""); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _bulwark; printf "%s\\n" "${COMPREPLY[@]}"', '_', join(dir, 'c.bash')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, WORDS: words.filter((w) => w !== '').join(' '), LAST_EMPTY: words[words.length - 1] === '' ? '1' : '' },
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean);
}

test('bash: subcommands, their options, option choices, stack names and control ids', async () => {
  const { code, out: script } = await cli(['completion', 'bash']);
  expect(code).toBe(0);
  expect(complete(script, ['bulwark', 'ren'])).toEqual(['render']);
  expect(complete(script, ['bulwark', ''])).toEqual(expect.arrayContaining(['render', 'posture', 'diff', 'explain', 'controls', 'completion']));
  expect(complete(script, ['bulwark', 'render', '--st'])).toEqual(['--stack', '--stack-file']);
  expect(complete(script, ['bulwark', 'render', '--stack', 'pr'])).toEqual(['prod']);
  expect(complete(script, ['bulwark', 'diff', '--fail-on', ''])).toEqual(['weaker', 'failing']);
  expect(complete(script, ['bulwark', 'posture', '--format', ''])).toEqual(['md', 'json', 'html', 'sarif', 'junit']);
  expect(complete(script, ['bulwark', 'render', '--output', 'j'])).toEqual(['json']);
  expect(complete(script, ['bulwark', 'explain', 'k8s.apiserver.always-pull'])).toEqual(['k8s.apiserver.always-pull-images']);
  expect(complete(script, ['bulwark', 'controls', '--layer', 'a'])).toEqual(['auth']);
  expect(complete(script, ['bulwark', 'dr'])).toEqual(['drift']);
  expect(complete(script, ['bulwark', 'rest'])).toEqual(['restore-etcd']);
  expect(complete(script, ['bulwark', 'drift', '--no'])).toEqual(['--no-nodes']);
  expect(complete(script, ['bulwark', 'drift', '--format', ''])).toEqual(['md', 'json']);
  expect(complete(script, ['bulwark', 'restore-etcd', '--'])).toEqual(expect.arrayContaining(['--node', '--snapshot', '--skip-hash-check', '--execute', '--stack', '--state']));
  expect(complete(script, ['bulwark', 'restore-etcd', '--snapshot', 'package.j'])).toEqual(['package.json']);
});

test('zsh: the same function through bashcompinit', async () => {
  const bash = (await cli(['completion', 'bash'])).out;
  const zsh = await cli(['completion', 'zsh']);
  expect(zsh.code).toBe(0);
  expect(zsh.out.startsWith('#compdef bulwark\n')).toBe(true);
  expect(zsh.out).toContain('bashcompinit');
  expect(zsh.out.endsWith(bash)).toBe(true);
  expect((await cli(['completion', 'fish'])).code).toBe(2);
});

// A real zsh, where installed (Debian: apt-get install zsh): the script loads, and the bash function runs
// under bashcompinit as zsh's completion calls it. zsh's compgen leaves matching the word to zsh itself
// (compadd), so the candidates here are per context, unfiltered by the word typed.
const zsh = execFileSync('sh', ['-c', 'command -v zsh || true'], { encoding: 'utf8' }).trim();
(zsh ? test : test.skip)(`zsh: the completion loads and gives each context's candidates${zsh ? '' : ' (skipped: no zsh here)'}`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-zsh-'));
  writeFileSync(join(dir, 'c.zsh'), (await cli(['completion', 'zsh'])).out);
  // as _bash_complete sets them before compgen -F: COMP_WORDS from zsh's words, COMP_CWORD = CURRENT - 1
  writeFileSync(join(dir, 'run.zsh'), 'source "$1"; shift; words=("$@"); CURRENT=$#words; COMP_WORDS=("${words[@]}"); COMP_CWORD=$((CURRENT - 1)); compgen -F _bulwark -- "${words[CURRENT]}"\n');
  const candidates = (...words: string[]) =>
    execFileSync(zsh, ['-f', join(dir, 'run.zsh'), join(dir, 'c.zsh'), ...words], { cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: dir }, encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  expect(candidates('bulwark', 'ren')).toEqual(expect.arrayContaining(['render', 'restore-etcd', 'drift', 'completion']));
  expect(candidates('bulwark', 'diff', '--fail-on', '')).toEqual(['failing', 'weaker']);
  expect(candidates('bulwark', 'render', '--stack', 'pr')).toEqual(expect.arrayContaining(['lab', 'prod']));
  expect(candidates('bulwark', 'restore-etcd', '--sn')).toEqual(expect.arrayContaining(['--node', '--snapshot', '--execute', '--skip-hash-check']));
  expect(candidates('bulwark', 'restore-etcd', '--sn')).not.toContain('--fail-on');
});
