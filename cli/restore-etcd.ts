/**
 * npm run restore-etcd -- --stack <name> --node <control plane> --snapshot <file> [--secrets <file> | --state -]
 *                         [--skip-hash-check] [--execute]
 *
 * Restores a cluster's etcd from a decrypted snapshot (`age -d -i <identity> <object> > db.snap`) by
 * Talos's recovery path (core/render/backup-restore.ts). Without --execute it prints the steps; with it,
 * runs talosctl for each (argv only, no shell) with the stack's talosconfig in a 0600 file of a private
 * directory that is removed afterwards. Destructive: every control plane's etcd data is wiped first.
 * Exit codes: 0 done (or printed), 2 invalid input, 1 a step failed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { StackConfigError } from '../core/config/errors';
import { RestoreStep, restorePlan } from '../core/render/backup-restore';
import { renderStack } from '../core/render/index';
import { withQuarterlyAdminClient } from '../core/secrets/admin-client';
import { loadStack, todayDate } from '../core/stack';
import { UsageError, bundleFromState, bundleSourceProblems, stackOptionProblem } from './break-glass';
import { SecretsFileError, readSecretsFile } from './secrets-file';

const USAGE = 'usage: npm run restore-etcd -- --stack <name> --node <control plane> --snapshot <file> [--secrets <file> | --state -] [--skip-hash-check] [--execute]';

export type Runner = (argv: string[]) => Promise<{ code: number; stdout: string }>;

/** talosctl from PATH, argv only; its output is shown as it comes (nothing secret: no configuration is printed). */
export const talosctlRunner: Runner = (argv) => new Promise((done, fail) => {
  const child = spawn('talosctl', argv, { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  let stdout = '';
  child.stdout.on('data', (c) => { stdout += c; process.stdout.write(c); });
  child.on('error', fail);
  child.on('close', (code) => done({ code: code ?? 1, stdout }));
});

/** Runs the steps in order; a step with `until` is repeated (every `pollMs`) until its output matches. */
export async function executeRestore(steps: RestoreStep[], talosconfig: string, run: Runner, opts: { pollMs?: number; tries?: number; log?: (s: string) => void } = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-restore-'));
  const file = join(dir, 'talosconfig');
  const log = opts.log ?? ((s) => process.stderr.write(`${s}\n`));
  try {
    writeFileSync(file, talosconfig, { mode: 0o600 });
    for (const s of steps) {
      log(`restore-etcd: ${s.what}`);
      for (let i = 0; ; i++) {
        const r = await run(['--talosconfig', file, ...s.argv]);
        if (!s.until && r.code !== 0) throw new Error(`${s.what}: talosctl exited ${r.code}`);
        if (!s.until || (r.code === 0 && s.until.test(r.stdout))) break;
        if (i + 1 >= (opts.tries ?? 120)) throw new Error(`${s.what}: not reached after ${i + 1} tries`);
        await new Promise((w) => setTimeout(w, opts.pollMs ?? 5000));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(argv: string[], io: { stdin: () => string; out: (s: string) => void; run: Runner } = { stdin: () => readFileSync(0, 'utf8'), out: (s) => process.stdout.write(s), run: talosctlRunner }): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: 'string' }, node: { type: 'string' }, snapshot: { type: 'string' }, secrets: { type: 'string' }, state: { type: 'string' },
      'skip-hash-check': { type: 'boolean' }, execute: { type: 'boolean' }, help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const problems: string[] = [];
  const stackBad = stackOptionProblem(values.stack);
  if (stackBad) problems.push(stackBad);
  if (!values.node) problems.push('--node is missing; name the control plane to restore on (e.g. --node prod-cp-1)');
  if (!values.snapshot) problems.push('--snapshot is missing; give the decrypted snapshot file');
  else if (!existsSync(values.snapshot)) problems.push(`--snapshot ${values.snapshot}: no such file`);
  if (values.execute && !values.secrets && values.state === undefined) problems.push('--execute needs the stack\'s secrets for its talosconfig (--secrets <file> or --state -)');
  problems.push(...bundleSourceProblems(values));
  if (problems.length) throw new UsageError(`${problems.map((p) => `  - ${p}`).join('\n')}\n${USAGE}`);

  const valid = loadStack({ stack: values.stack! });
  let steps: RestoreStep[];
  try {
    steps = restorePlan(valid.stack, { node: values.node!, snapshot: resolve(values.snapshot!), skipHashCheck: values['skip-hash-check'] });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (!values.execute) {
    io.out(`${steps.map((s, i) => `${i + 1}. ${s.what}\n   talosctl --talosconfig <talosconfig> ${s.argv.join(' ')}${s.until ? `   (until it prints ${s.until.source})` : ''}`).join('\n')}\n`);
    return 0;
  }
  const bundle = values.state ? bundleFromState(io.stdin()) : readSecretsFile(resolve(values.secrets!));
  const { talosconfig } = renderStack(valid, await withQuarterlyAdminClient(bundle, todayDate()));
  await executeRestore(steps, talosconfig, io.run);
  return 0;
}

export async function run(argv: string[], io?: Parameters<typeof main>[1]): Promise<number> {
  try {
    return await main(argv, io);
  } catch (e) {
    if (e instanceof StackConfigError || e instanceof UsageError || e instanceof SecretsFileError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`restore-etcd failed: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) run(process.argv.slice(2)).then((code) => process.exit(code));
