/**
 * The real Pulumi engine for the engine suite (`npm run test:engine`, test/engine/run.sh): the
 * Pulumi CLI and kubernetes provider built into the e2e cache (e2e/tools/pulumi.sh), the program
 * run in-process as an Automation API inline program on a project folder that holds byte copies
 * of Pulumi.yaml and the stack files (so the CLI validates them, and `stack init` rewrites the
 * copies, never the checkout), a file backend and a private PULUMI_HOME in a temp folder, the
 * passphrase secrets provider.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { EngineEvent, LocalWorkspace, Stack } from '@pulumi/pulumi/automation';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from '../../core/stack';
import { TODAY } from '../helpers';

export const PASSPHRASE = 'bulwark-engine-suite-passphrase';

/** What the suite could not run for real, and why: printed at the end of each file. */
export const notRunForReal: string[] = [];
/** Wall time of every engine operation, printed at the end of each file. */
export const wallTimes: { what: string; ms: number }[] = [];

export async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    return await f();
  } finally {
    wallTimes.push({ what, ms: Date.now() - t0 });
  }
}

export function report(file: string): void {
  const lines = [`engine suite, ${file}: wall times`];
  for (const w of wallTimes) lines.push(`  ${(w.ms / 1000).toFixed(1).padStart(7)} s  ${w.what}`);
  lines.push(`  ${(wallTimes.reduce((a, w) => a + w.ms, 0) / 1000).toFixed(1).padStart(7)} s  total`);
  if (notRunForReal.length) lines.push('not run under the real engine, and why:', ...notRunForReal.map((l) => `  - ${l}`));
  console.log(lines.join('\n'));
}

/**
 * A program whose operation failed (a preview stopped by a missing plugin) still has registrations
 * in flight when the CLI exits; their calls then fail with the monitor gone. In a language host the
 * program's process ends with the CLI; in-process those rejections are only noise.
 */
process.on('unhandledRejection', (e) => {
  if (/Resource monitor is terminating|resource monitor shut down|UNAVAILABLE|CANCELLED/.test(String((e as Error)?.message ?? e))) return;
  throw e;
});

/** Every program run in this process sees the tests' fixed day (waiver expiry, certificate windows). */
process.env.BULWARK_TODAY = TODAY;

/** A project folder: Pulumi.yaml and stack files copied, the code linked (the dynamic provider's cwd is this folder). */
export function makeProject(base: string): string {
  const dir = mkdtempSync(join(base, 'project-'));
  copyFileSync(join(REPO_ROOT, 'Pulumi.yaml'), join(dir, 'Pulumi.yaml'));
  mkdirSync(join(dir, 'stacks'));
  for (const p of ['node_modules', 'core', 'components', 'profiles', 'policy', 'index.ts', 'tsconfig.json', 'package.json', 'cli', 'scripts'])
    symlinkSync(join(REPO_ROOT, p), join(dir, p));
  return dir;
}

/** Copies an example stack file byte for byte. */
export function copyExample(project: string, name: string, as = name): void {
  copyFileSync(join(REPO_ROOT, 'stacks', `Pulumi.${name}.yaml`), join(project, 'stacks', `Pulumi.${as}.yaml`));
}

/**
 * Writes a stack file from raw `bulwark:` values, keeping the `encryptionsalt` `stack init` wrote
 * (the passphrase secrets provider's salt: without it the state's secrets no longer decrypt).
 */
export function writeStackFile(project: string, name: string, values: Record<string, unknown>): void {
  const file = join(project, 'stacks', `Pulumi.${name}.yaml`);
  const salt = existsSync(file) ? (parse(readFileSync(file, 'utf8')) as { encryptionsalt?: string } | null)?.encryptionsalt : undefined;
  const config = Object.fromEntries(Object.entries(values).map(([k, v]) => [`bulwark:${k}`, v]));
  writeFileSync(file, stringify({ ...(salt ? { encryptionsalt: salt } : {}), config }));
}

export function readStackFile(project: string, name: string): string {
  return readFileSync(join(project, 'stacks', `Pulumi.${name}.yaml`), 'utf8');
}

export interface Engine {
  base: string;
  home: string;
  backend: string;
  env: Record<string, string>;
}

/** A private PULUMI_HOME and file backend under `base`. */
export function engine(base: string): Engine {
  const home = join(base, 'pulumi-home');
  const backend = join(base, 'state');
  mkdirSync(home, { recursive: true });
  mkdirSync(backend, { recursive: true });
  const env = {
    PULUMI_HOME: home,
    PULUMI_BACKEND_URL: `file://${backend}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: 'true',
  };
  // The CLI's own child processes (plugins) see the same, and nothing of the user's ~/.pulumi.
  Object.assign(process.env, env);
  return { base, home, backend, env };
}

/** A test file's temp folder, its private PULUMI_HOME and file backend (`eng`), and its project folder. */
export interface EngineFile {
  base: string;
  eng: Engine;
  project: string;
}

/**
 * The set-up every engine test file shares (`engineFile(__filename)`): a temp folder `bulwark-engine-<file>-…` with
 * an engine and a project folder in it. After the file's tests: `stop` (what the file started: IdPs, control planes,
 * stand-ins), the file's wall times printed, the folder removed (kept, and named, with BULWARK_ENGINE_KEEP=1).
 */
export function engineFile(testFile: string, stop?: () => Promise<void> | void): EngineFile {
  const file = basename(testFile);
  const base = mkdtempSync(join(tmpdir(), `bulwark-engine-${file.replace(/\.test\.ts$/, '')}-`));
  const eng = engine(base);
  const project = makeProject(base);
  afterAll(async () => {
    await stop?.();
    report(file);
    if (process.env.BULWARK_ENGINE_KEEP) console.log(`kept ${base}`);
    else rmSync(base, { recursive: true, force: true });
  });
  return { base, eng, project };
}

/** The stack program, as index.ts exports it, run in-process by the Automation API. */
export const bulwarkInline = async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = require('../../index') as () => Promise<Record<string, unknown>>;
  return program();
};

export async function openStack(e: Engine, project: string, name: string, program: () => Promise<Record<string, unknown> | void> = bulwarkInline): Promise<Stack> {
  return timed(`${name}: stack init`, () =>
    LocalWorkspace.createOrSelectStack({ stackName: name, projectName: 'bulwark', program }, { workDir: project, envVars: e.env, secretsProvider: 'passphrase' }),
  );
}

/**
 * One preview of `stack` in its own Node process (`script`: preview-child.ts, or a program file whose main is its
 * previewAndExit), timed as `what`: the child's exit status, and the preview's error (the CLI's whole output) when it
 * exited 0, else its stderr.
 */
export async function previewInOwnProcess(what: string, f: Pick<EngineFile, 'base' | 'project'>, stack: string, script = 'preview-child.ts'): Promise<{ status: number | null; error: string }> {
  const child = await timed(what, async () =>
    spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, script), f.project, stack, f.base], { cwd: REPO_ROOT, encoding: 'utf8', env: process.env }),
  );
  if (child.status !== 0) return { status: child.status, error: child.stderr };
  return { status: 0, error: (JSON.parse(child.stdout.trim().split('\n').pop()!) as { error: string }).error };
}

/** Steps the engine reports, by operation, as resource names (the last URN part). */
export interface Steps {
  byOp: Map<string, string[]>;
  events: EngineEvent[];
}

export function collector(): { onEvent: (e: EngineEvent) => void; steps: () => Steps } {
  const events: EngineEvent[] = [];
  return {
    onEvent: (ev) => events.push(ev),
    steps: () => {
      const byOp = new Map<string, string[]>();
      for (const ev of events) {
        const m = ev.resourcePreEvent?.metadata;
        if (!m) continue;
        const name = m.urn.split('::').pop()!;
        byOp.set(m.op, [...(byOp.get(m.op) ?? []), name].sort());
      }
      return { byOp, events };
    },
  };
}

/** Names the engine would change (anything but "same" and reads), Kubernetes objects and the provider only. */
export function changedKubernetes(steps: Steps): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [op, names] of steps.byOp) {
    if (op === 'same' || op === 'read' || op === 'refresh') continue;
    const k = names.filter((n) => n.includes('/'));
    if (k.length) out[op] = k;
  }
  return out;
}

/**
 * The stack's state as the backend holds it on disk (not `stack export` through the Automation API,
 * which passes --show-secrets): what a reader of the state folder sees.
 */
export function stateOnDisk(e: Engine, stack: string): unknown {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, f.name);
      if (f.isDirectory()) walk(p);
      else if (f.name === `${stack}.json` && p.includes(`${join('.pulumi', 'stacks')}`)) found.push(p);
    }
  };
  walk(e.backend);
  if (found.length !== 1) throw new Error(`expected one state file for stack ${stack} under ${e.backend}, found ${found.length}`);
  return JSON.parse(readFileSync(found[0], 'utf8'));
}

/** Every string in a JSON value, each base64-decodable one decoded too (twice, for base64 inside base64). */
export function allStrings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') {
    out.push(v);
    for (let s = v, i = 0; i < 2; i++) {
      const compact = s.replace(/\s+/g, '');
      if (compact.length < 16 || !/^[A-Za-z0-9+/=_-]+$/.test(compact)) break;
      s = Buffer.from(compact, 'base64').toString('utf8');
      out.push(s);
    }
  } else if (Array.isArray(v)) for (const x of v) allStrings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) allStrings(x, out);
  return out;
}

/** Plaintext key material in a string: PEM private keys, or one of `needles` (known secret values). */
export function plaintextSecrets(strings: string[], needles: string[]): string[] {
  const found = new Set<string>();
  for (const s of strings) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(s)) found.add(`PEM private key in "${s.slice(0, 60)}…"`);
    for (const n of needles) if (n.length >= 12 && s.includes(n)) found.add(`known secret ${n.slice(0, 12)}… in "${s.slice(0, 60)}…"`);
  }
  return [...found];
}
