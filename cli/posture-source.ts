/**
 * The two sides of a posture diff: a checkout directory (holding stacks/ and profiles/) or a git
 * revision, read with `git ls-tree` and `git show` through execFile (arguments, never a shell
 * string) into a private temporary directory, so both kinds go through the same loader and
 * validator as `npm run render`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CisCheck } from '../core/cis/definitions';
import { StackConfigError } from '../core/config/errors';
import { InputError } from './io';
import type { StackSide } from '../core/posture/diff';
import { renderStack } from '../core/render/index';
import type { SecretsBundle } from '../core/secrets/bundle';
import { loadStack } from '../core/stack';
import type { TalosLine } from '../core/talos/defaults';
import { configDigest, rebootDigest } from '../core/talos/reboot';
import { checkEnvironmentProfile } from '../policy/rules';

export class SourceError extends InputError {}

export const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const STACK_FILE = /^Pulumi\.([A-Za-z0-9][A-Za-z0-9._-]*)\.yaml$/;
const PROFILE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.yaml$/;
const MAX_FILE = 4 * 1024 * 1024;

export interface Checkout {
  /** What the user named (a directory or a revision), with the commit for a revision. */
  label: string;
  /** A directory holding stacks/ and profiles/. */
  root: string;
  /** Stack names found in stacks/. */
  stacks: string[];
  close(): void;
}

function git(repo: string, args: string[]): string {
  try {
    return execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', maxBuffer: MAX_FILE * 4, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; code?: string; message: string };
    if (err.code === 'ENOENT') throw new SourceError('git is not installed; it is needed to read a git revision');
    throw new SourceError(`git ${args[0]} failed: ${(err.stderr || err.message).trim().split('\n')[0]}`);
  }
}

/** The commit a revision names, or undefined when it names none. The revision is never taken as an option. */
export function resolveRevision(repo: string, rev: string): string | undefined {
  if (!rev || rev.startsWith('-') || /[\s\0]/.test(rev)) return undefined;
  try {
    const out = execFileSync('git', ['-C', repo, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return /^[0-9a-f]{40,64}$/.test(out) ? out : undefined;
  } catch {
    return undefined;
  }
}

/** Paths of a commit's files under the given folders (not recursive into subfolders' subfolders). */
export function gitFiles(repo: string, commit: string, folders: string[]): string[] {
  const out = git(repo, ['ls-tree', '-r', '-z', '--name-only', commit, '--', ...folders]);
  return out.split('\0').filter(Boolean);
}

export function gitShow(repo: string, commit: string, path: string): string {
  return git(repo, ['show', `${commit}:${path}`]);
}

function stacksIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => f.match(STACK_FILE)?.[1]).filter((n): n is string => !!n).sort();
}

function fromDirectory(dir: string, label: string): Checkout {
  if (!existsSync(join(dir, 'stacks')) || !statSync(join(dir, 'stacks')).isDirectory())
    throw new SourceError(`${label} is a directory without a stacks/ folder; give a checkout root (holding stacks/ and profiles/) or a git revision`);
  if (!existsSync(join(dir, 'profiles'))) throw new SourceError(`${label} has stacks/ but no profiles/ folder; give a checkout root`);
  return { label, root: dir, stacks: stacksIn(join(dir, 'stacks')), close: () => undefined };
}

function fromRevision(repo: string, rev: string, commit: string): Checkout {
  const root = mkdtempSync(join(tmpdir(), 'bulwark-posture-'));
  try {
    mkdirSync(join(root, 'stacks'), { mode: 0o700 });
    mkdirSync(join(root, 'profiles'), { mode: 0o700 });
    for (const path of gitFiles(repo, commit, ['stacks', 'profiles'])) {
      const [folder, file, ...rest] = path.split('/');
      if (rest.length || !file) continue;
      if (folder === 'stacks' ? !STACK_FILE.test(file) : !PROFILE_FILE.test(file)) continue;
      writeFileSync(join(root, folder, file), gitShow(repo, commit, path), { mode: 0o600 });
    }
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw e;
  }
  const label = commit.startsWith(rev) ? commit.slice(0, 12) : `${rev} (${commit.slice(0, 12)})`;
  return { label, root, stacks: stacksIn(join(root, 'stacks')), close: () => rmSync(root, { recursive: true, force: true }) };
}

/** A directory if `spec` is one, else a git revision of `repo`. */
export function openSource(spec: string, repo: string): Checkout {
  const dir = resolve(spec);
  if (existsSync(dir) && statSync(dir).isDirectory()) return fromDirectory(dir, spec);
  const commit = resolveRevision(repo, spec);
  if (!commit) throw new SourceError(`"${spec}" is neither a directory nor a git revision of ${repo}`);
  return fromRevision(repo, spec, commit);
}

export interface PostureOptions {
  secrets: SecretsBundle;
  cis?: { checks: CisCheck[]; source: string };
  today?: string;
  /** Called before each stack is rendered (progress). */
  onStack?: (stack: string) => void;
}

/** One stack's posture in a checkout, or why it does not render (never throws). */
export function postureSide(root: string, stack: string, opts: PostureOptions): StackSide {
  try {
    const valid = loadStack({ stack, root, today: opts.today });
    const rendered = renderStack(valid, opts.secrets, opts.cis ? { cis: opts.cis } : {});
    const line = valid.stack.cluster.talosVersion.replace(/^v(\d+\.\d+).*$/, '$1') as TalosLine;
    // the same rule, and the same function, as the policy pack's environment minimum
    const policy = checkEnvironmentProfile({ environment: valid.stack.operations.environment, profile: valid.stack.profile, lineage: valid.profile.lineage }).map((v) => v.message);
    return {
      state: 'ok',
      posture: rendered.posture,
      ...(valid.stack.existingCluster ? {} : { nodes: rendered.nodes.map((n) => ({ name: n.name, installer: n.installer, schematicId: n.schematicId, rebootDigest: rebootDigest(n.config, line), configDigest: configDigest(n.config) })) }),
      ...(policy.length ? { policy } : {}),
    };
  } catch (e) {
    if (e instanceof StackConfigError) return { state: 'invalid', problems: e.problems };
    return { state: 'error', message: `render failed: ${(e as Error).message.split('\n')[0]}` };
  }
}

export function postureSides(c: Checkout, stacks: string[], opts: PostureOptions): Map<string, StackSide> {
  const out = new Map<string, StackSide>();
  for (const s of stacks) if (c.stacks.includes(s)) {
    opts.onStack?.(s);
    out.set(s, postureSide(c.root, s, opts));
  }
  return out;
}
