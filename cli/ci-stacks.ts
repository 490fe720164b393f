/**
 * npx ts-node --transpile-only cli/ci-stacks.ts --base <git-rev> --head <git-rev> [--auto-deploy] [--repo <dir>]
 *
 * The stacks a change touches, one name per line on stdout after a `# <why>` line (used by scripts/ci-preview.sh and
 * scripts/ci-deploy.sh): a stack whose stacks/Pulumi.<stack>.yaml changed (also when it was
 * removed), or every stack when something every stack is built from changed (profiles/, core/,
 * components/, the Pulumi program, policy pack or dependencies). An empty or all-zero --base
 * (a new branch) also means every stack. With --auto-deploy: only stacks present at head whose
 * stack file sets `bulwark:operations.autoDeploy: true`.
 * Exit codes: 0 listed (possibly none), 2 invalid input, 1 anything else.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { STACK_NAME, SourceError, gitFiles, gitShow, resolveRevision } from './posture-source';

const USAGE = 'usage: ci-stacks --base <git-rev> --head <git-rev> [--auto-deploy] [--repo <dir>]';

/** Paths every stack is built from: a change under any of them touches every stack. */
export const SHARED_PATHS = ['profiles/', 'core/', 'components/', 'policy/', 'index.ts', 'Pulumi.yaml', 'package.json', 'package-lock.json', 'tsconfig.json'];
const STACK_PATH = /^stacks\/Pulumi\.([^/]+)\.yaml$/;

export class UsageError extends Error {}

/** Pure: which stacks a list of changed paths touches, given the stacks that exist at head. */
export function touchedStacks(changed: string[] | 'all', headStacks: string[]): { stacks: string[]; reason: string } {
  if (changed === 'all') return { stacks: [...headStacks].sort(), reason: 'no base revision to compare with: every stack' };
  // Stack files that changed, including removed ones (the posture diff reports those).
  const named = changed.map((p) => p.match(STACK_PATH)?.[1]).filter((n): n is string => !!n && STACK_NAME.test(n));
  const shared = changed.find((p) => SHARED_PATHS.some((s) => (s.endsWith('/') ? p.startsWith(s) : p === s)));
  if (shared) return { stacks: [...new Set([...headStacks, ...named])].sort(), reason: `${shared} changed: every stack` };
  return { stacks: [...new Set(named)].sort(), reason: named.length ? 'stack files changed' : 'no stack file or shared path changed' };
}

/** Pure: whether a stack file's text opts into deploy on merge. */
export function autoDeploys(stackFileText: string): boolean {
  try {
    const doc = parse(stackFileText) as { config?: Record<string, unknown> } | null;
    const ops = doc?.config?.['bulwark:operations'] as { autoDeploy?: unknown } | undefined;
    return ops?.autoDeploy === true;
  } catch {
    return false;
  }
}

export function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): number {
  const { values } = parseArgs({
    args: argv,
    options: { base: { type: 'string' }, head: { type: 'string' }, 'auto-deploy': { type: 'boolean' }, repo: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  if (!values.head) throw new UsageError(`give --head\n${USAGE}`);
  const repo = resolve(values.repo ?? '.');
  const head = resolveRevision(repo, values.head);
  if (!head) throw new UsageError(`--head "${values.head}" is not a git revision of ${repo}`);
  const headStacks = gitFiles(repo, head, ['stacks'])
    .map((p) => p.match(STACK_PATH)?.[1])
    .filter((n): n is string => !!n && STACK_NAME.test(n));

  let changed: string[] | 'all' = 'all';
  const baseSpec = values.base ?? '';
  if (baseSpec && !/^0+$/.test(baseSpec)) {
    const base = resolveRevision(repo, baseSpec);
    if (!base) throw new UsageError(`--base "${baseSpec}" is not a git revision of ${repo} (is the history fetched? use fetch-depth: 0)`);
    let diff: string;
    try {
      diff = execFileSync('git', ['-C', repo, 'diff', '--name-only', '-z', '--no-renames', `${base}...${head}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      throw new SourceError(`git diff failed: ${String((e as { stderr?: string }).stderr ?? (e as Error).message).trim().split('\n')[0]}`);
    }
    changed = diff.split('\0').filter(Boolean);
  }
  let { stacks, reason } = touchedStacks(changed, headStacks);
  if (values['auto-deploy']) {
    stacks = stacks.filter((s) => headStacks.includes(s) && autoDeploys(gitShow(repo, head, `stacks/Pulumi.${s}.yaml`)));
    reason += '; only stacks with bulwark:operations.autoDeploy: true';
  }
  err(`ci-stacks: ${reason}: ${stacks.join(' ') || '(none)'}\n`);
  out(`# ${reason}\n`);
  for (const s of stacks) out(`${s}\n`);
  return 0;
}

export function run(argv: string[]): number {
  try {
    return main(argv);
  } catch (e) {
    if (e instanceof UsageError || e instanceof SourceError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`ci-stacks failed: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) process.exit(run(process.argv.slice(2)));
