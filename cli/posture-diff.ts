/**
 * npm run posture:diff -- --base <dir|git-rev> --head <dir|git-rev> [--stack <name>]... [--format md|json]
 *                         [--repo <dir>] [--secrets <file>]
 *
 * What a change does to each stack's posture: controls that stop or start being enforced,
 * new waivers with their reason and expiry, changed CIS results, tenants added or removed.
 * Markdown (ready to post as a pull-request comment) or JSON on stdout. A side is a directory
 * holding stacks/ and profiles/ (a checkout root), or else a git revision of --repo (default:
 * the current directory). Both sides are rendered by this checkout's code. A stack that does not
 * validate or render is reported as failing in the diff, not as an error of the command.
 * Exit codes: 0 diff printed, 2 invalid input (usage, unknown revision or directory), 1 anything else.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findDefinitions, loadDefinitions } from '../core/cis/definitions';
import { PostureDiff, diffPosture, postureDiffMarkdown } from '../core/posture/diff';
import type { SecretsBundle } from '../core/secrets/bundle';
import { generateSecrets } from '../core/secrets/generate';
import { REPO_ROOT } from '../core/stack';
import { Checkout, PostureOptions, STACK_NAME, SourceError, openSource, postureSides } from './posture-source';
import { SecretsFileError, readSecretsFile } from './secrets-file';

const USAGE =
  'usage: npm run posture:diff -- --base <dir|git-rev> --head <dir|git-rev> [--stack <name>]... [--format md|json] [--repo <dir>] [--secrets <file>]';

export class UsageError extends Error {}

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
    const opts: PostureOptions = { secrets: req.secrets ?? (await generateSecrets()), cis, today: req.today };
    return diffPosture(postureSides(base, stacks, opts), postureSides(head, stacks, opts), req.labels ?? { base: base.label, head: head.label }, stacks);
  } finally {
    for (const c of opened) c.close();
  }
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      base: { type: 'string' },
      head: { type: 'string' },
      stack: { type: 'string', multiple: true },
      format: { type: 'string', default: 'md' },
      repo: { type: 'string' },
      secrets: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  if (!values.base || !values.head) throw new UsageError(`give both --base and --head\n${USAGE}`);
  if (values.format !== 'md' && values.format !== 'json') throw new UsageError(`--format is "${values.format}"; it must be md or json`);
  for (const s of values.stack ?? []) if (!STACK_NAME.test(s)) throw new UsageError(`--stack "${s}" is not a stack name (letters, digits, . _ -)`);
  const stacks = values.stack ? [...new Set(values.stack)] : undefined;
  const diff = await postureDiff({
    base: values.base,
    head: values.head,
    stacks,
    repo: values.repo,
    secrets: values.secrets ? readSecretsFile(resolve(values.secrets)) : undefined,
  });
  out(values.format === 'json' ? `${JSON.stringify(diff, null, 2)}\n` : postureDiffMarkdown(diff));
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    if (e instanceof UsageError || e instanceof SourceError || e instanceof SecretsFileError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`posture:diff failed: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) void run(process.argv.slice(2)).then((code) => process.exit(code));
