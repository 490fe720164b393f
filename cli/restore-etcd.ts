/**
 * bulwark restore-etcd (--stack <name> | --stack-file <path>) --node <control plane> --snapshot <file>
 *                      [--secrets <file> | --state -] [--skip-hash-check] [--execute]   (options: cli/commands/restore-etcd.ts)
 *
 * Restores a cluster's etcd from a decrypted snapshot (`age -d -i <identity> <object> > db.snap`) by
 * Talos's recovery path (core/render/backup-restore.ts). Without --execute it prints the steps; with it,
 * runs talosctl for each (argv only, no shell) with the stack's talosconfig in a 0600 file of a private
 * directory that is removed afterwards. Destructive: every control plane's etcd data is wiped first.
 * Exit codes: 0 done (or printed), 2 invalid input, 1 a step failed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RestoreStep, restorePlan } from '../core/render/backup-restore';
import { renderStack } from '../core/render/index';
import { withQuarterlyAdminClient } from '../core/secrets/admin-client';
import { todayDate } from '../core/stack';
import { UsageError, bundleFromState, bundleSourceProblems } from './break-glass';
import { GlobalOptions, Io, Talosctl } from './io';
import { readSecretsFile } from './secrets-file';
import { StackArgs, loadStackArg, printWarnings, stackArgProblem } from './stack-arg';

const USAGE = 'usage: bulwark restore-etcd (--stack <name> | --stack-file <path>) --node <control plane> --snapshot <file> [--secrets <file> | --state -] [--skip-hash-check] [--execute]';

export type Runner = Talosctl;

/** talosctl from PATH, argv only; its output is shown as it comes, on `show` (nothing secret: no configuration is printed). */
export const talosctlTo = (show: (s: string) => void): Runner => (argv) => new Promise((done, fail) => {
  const child = spawn('talosctl', argv, { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  let stdout = '';
  child.stdout.on('data', (c) => { stdout += c; show(String(c)); });
  child.on('error', fail);
  child.on('close', (code) => done({ code: code ?? 1, stdout }));
});

export const talosctlRunner: Runner = talosctlTo((s) => process.stdout.write(s));

/** Runs the steps in order; a step with `until` is repeated (every `pollMs`) until its output matches. */
export async function executeRestore(steps: RestoreStep[], talosconfig: string, run: Runner, opts: { pollMs?: number; tries?: number; log?: (s: string) => void } = {}): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-restore-'));
  const file = join(dir, 'talosconfig');
  const log = opts.log ?? ((s) => process.stderr.write(`${s}\n`));
  try {
    writeFileSync(file, talosconfig, { mode: 0o600 });
    for (const [k, s] of steps.entries()) {
      log(`restore-etcd [${k + 1}/${steps.length}]: ${s.what}`);
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

export interface RestoreArgs extends StackArgs {
  node?: string;
  snapshot?: string;
  secrets?: string;
  state?: string;
  skipHashCheck?: boolean;
  execute?: boolean;
}

export async function restoreCommand(a: RestoreArgs, io: Io, g: GlobalOptions): Promise<number> {
  const problems: string[] = [];
  const stackBad = stackArgProblem(a);
  if (stackBad) problems.push(stackBad);
  const snapshot = a.snapshot && resolve(io.cwd, a.snapshot);
  if (!a.node) problems.push('--node is missing; name the control plane to restore on (e.g. --node prod-cp-1)');
  if (!snapshot) problems.push('--snapshot is missing; give the decrypted snapshot file');
  else if (!existsSync(snapshot)) problems.push(`--snapshot ${a.snapshot}: no such file`);
  if (a.execute && !a.secrets && a.state === undefined) problems.push('--execute needs the stack\'s secrets for its talosconfig (--secrets <file> or --state -)');
  problems.push(...bundleSourceProblems(a));
  if (problems.length) throw new UsageError(`${problems.map((p) => `  - ${p}`).join('\n')}\n${USAGE}`);

  const valid = loadStackArg(a, io);
  printWarnings(valid, io);
  let steps: RestoreStep[];
  try {
    steps = restorePlan(valid.stack, { node: a.node!, snapshot: snapshot!, skipHashCheck: a.skipHashCheck });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const json = g.output === 'json';
  if (!a.execute) {
    if (json) io.out(`${JSON.stringify({ stack: valid.name, node: a.node, executed: false, steps: steps.map((s) => ({ what: s.what, talosctl: s.argv, ...(s.until ? { until: s.until.source } : {}) })) }, null, 2)}\n`);
    else io.out(`${steps.map((s, i) => `${i + 1}. ${s.what}\n   talosctl --talosconfig <talosconfig> ${s.argv.join(' ')}${s.until ? `   (until it prints ${s.until.source})` : ''}`).join('\n')}\n`);
    return 0;
  }
  const bundle = a.state ? bundleFromState(io.stdin()) : readSecretsFile(resolve(io.cwd, a.secrets!));
  const { talosconfig } = renderStack(valid, await withQuarterlyAdminClient(bundle, todayDate()));
  // with --output json stdout is the result only: talosctl's own output goes to stderr
  const runner = io.talosctl ?? talosctlTo(json ? io.err : io.out);
  // the steps are long (a reset reboots the node): each is said as it starts, with its number
  await executeRestore(steps, talosconfig, runner, { log: (s) => io.err(`${s}\n`) });
  if (json) io.out(`${JSON.stringify({ stack: valid.name, node: a.node, executed: true, steps: steps.length }, null, 2)}\n`);
  return 0;
}

/** `npm run restore-etcd -- …` and older callers: the same as `bulwark restore-etcd …`. */
export async function run(argv: string[], io?: { stdin: () => string; out: (s: string) => void; run?: Runner }): Promise<number> {
  const { bulwark } = await import('./main');
  return bulwark(['restore-etcd', ...argv], io ? { stdin: io.stdin, out: io.out, talosctl: io.run } : {});
}

if (require.main === module) void run(process.argv.slice(2)).then((code) => process.exit(code));
