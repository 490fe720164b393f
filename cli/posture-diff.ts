/**
 * bulwark diff --base <dir|git-rev> --head <dir|git-rev> [--stack <name>]... [--format md|json]
 *              [--repo <dir>] [--secrets <file>] [--fail-on weaker|failing]
 *
 * What a change does to each stack's posture: controls that stop or start being enforced,
 * new waivers with their reason and expiry, changed CIS results, tenants added or removed.
 * Markdown (ready to post as a pull-request comment) or JSON on stdout. A side is a directory
 * holding stacks/ and profiles/ (a checkout root), or else a git revision of --repo (default:
 * the current directory). Both sides are rendered by this checkout's code. A stack that does not
 * validate or render is reported as failing in the diff, not as an error of the command.
 * With --fail-on the exit code is a CI gate: 3 when a stack fails (head does not render, or breaks the
 * policy pack's production minimum) or, for `weaker`, also when a posture weakens.
 * Exit codes: 0 diff printed (gate passed), 3 gate failed, 2 invalid input (usage, unknown revision or
 * directory), 1 anything else.
 */
import { resolve } from 'node:path';
import { findDefinitions, loadDefinitions } from '../core/cis/definitions';
import { PostureDiff, diffPosture, failsGate, postureDiffMarkdown } from '../core/posture/diff';
import type { SecretsBundle } from '../core/secrets/bundle';
import { generateSecrets } from '../core/secrets/generate';
import { REPO_ROOT } from '../core/stack';
import { Checkout, PostureOptions, STACK_NAME, openSource, postureSides } from './posture-source';
import { readSecretsFile } from './secrets-file';
import { EXIT, GlobalOptions, InputError, Io, progress } from './io';

export class UsageError extends InputError {}

export interface DiffRequest {
  base: string;
  head: string;
  /** Only these stacks (default: every stack on either side). */
  stacks?: string[];
  /** The git repository revisions are read from. */
  repo?: string;
  /** Labels to print instead of the directory or revision names. */
  labels?: { base: string; head: string };
  /** Any bundle: posture does not depend on secret values. Default: a throwaway one. */
  secrets?: SecretsBundle;
  /** Default: kube-bench's definitions where `npm run render` finds them, if anywhere. */
  cis?: PostureOptions['cis'] | null;
  /** YYYY-MM-DD; default BULWARK_TODAY or the date. */
  today?: string;
  /** Progress: stacks rendered so far of both sides' total (called before each, and once at the end). */
  onStack?: (done: number, total: number) => void;
}

export async function postureDiff(req: DiffRequest): Promise<PostureDiff> {
  const repo = resolve(req.repo ?? '.');
  const opened: Checkout[] = [];
  try {
    const base = openSource(req.base, repo);
    opened.push(base);
    const head = openSource(req.head, repo);
    opened.push(head);
    const all = [...new Set([...base.stacks, ...head.stacks])].sort();
    const stacks = req.stacks ?? all;
    const unknown = stacks.filter((s) => !all.includes(s));
    if (unknown.length) throw new UsageError(`stack(s) ${unknown.join(', ')} are in neither ${base.label} nor ${head.label}; known: ${all.join(', ') || '(none)'}`);
    let cis = req.cis ?? undefined;
    if (req.cis === undefined) {
      const dir = findDefinitions(REPO_ROOT);
      cis = dir ? { checks: loadDefinitions(dir), source: dir } : undefined;
    }
    const total = stacks.filter((s) => base.stacks.includes(s)).length + stacks.filter((s) => head.stacks.includes(s)).length;
    let done = 0;
    const opts: PostureOptions = { secrets: req.secrets ?? (await generateSecrets()), cis, today: req.today, onStack: () => req.onStack?.(done++, total) };
    const sides = [postureSides(base, stacks, opts), postureSides(head, stacks, opts)] as const;
    req.onStack?.(total, total);
    return diffPosture(sides[0], sides[1], req.labels ?? { base: base.label, head: head.label }, stacks);
  } finally {
    for (const c of opened) c.close();
  }
}

export const DIFF_FORMATS = ['md', 'json'] as const;
export const FAIL_ON = ['weaker', 'failing'] as const;

export interface DiffArgs {
  base: string;
  head: string;
  stack?: string[];
  format?: string;
  repo?: string;
  secrets?: string;
  failOn?: (typeof FAIL_ON)[number];
}

export async function diffCommand(a: DiffArgs, io: Io, g: GlobalOptions): Promise<number> {
  const format = g.output === 'json' ? 'json' : (a.format ?? 'md');
  for (const s of a.stack ?? []) if (!STACK_NAME.test(s)) throw new UsageError(`--stack "${s}" is not a stack name (letters, digits, . _ -)`);
  const step = progress(io, g);
  step(`rendering both sides: ${a.base} and ${a.head}`);
  const diff = await postureDiff({
    base: a.base,
    head: a.head,
    stacks: a.stack ? [...new Set(a.stack)] : undefined,
    repo: a.repo && resolve(io.cwd, a.repo),
    secrets: a.secrets ? readSecretsFile(resolve(io.cwd, a.secrets)) : undefined,
    onStack: (done, total) => step.count('stacks rendered (both sides)', done, total),
  });
  io.out(format === 'json' ? `${JSON.stringify(diff, null, 2)}\n` : postureDiffMarkdown(diff));
  if (!a.failOn) return EXIT.ok;
  const failed = failsGate(diff, a.failOn);
  if (failed.length) io.err(`bulwark diff --fail-on ${a.failOn}: ${failed.map((d) => `${d.stack} (${d.verdict})`).join(', ')}\n`);
  return failed.length ? EXIT.gate : EXIT.ok;
}

/** `npm run posture:diff -- …` and older callers: the same as `bulwark diff …`. */
export async function main(argv: string[], out?: (s: string) => void): Promise<number> {
  const { bulwark } = await import('./main');
  return bulwark(['diff', ...argv], out ? { out } : {});
}

export const run = (argv: string[]): Promise<number> => main(argv);
