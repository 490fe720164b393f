/** Child processes for the e2e control plane: start with a log file, wait, stop (SIGTERM, then SIGKILL). */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
  exited: boolean;
  tail(lines?: number): string;
}

export function start(name: string, bin: string, args: string[], log: string, env: NodeJS.ProcessEnv = process.env): Proc {
  const fd = openSync(log, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  const p: Proc = {
    name, child, log, exited: false,
    tail: (n = 30) => { try { return readFileSync(log, 'utf8').split('\n').slice(-n).join('\n'); } catch { return ''; } },
  };
  child.on('exit', () => { p.exited = true; });
  return p;
}

/** SIGTERM, up to `graceMs` to exit, then SIGKILL. */
export async function stop(p: Proc | undefined, graceMs = 15_000): Promise<void> {
  if (!p || p.exited || p.child.exitCode !== null) return;
  const gone = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
  if ((await Promise.race([gone, timer])) === 'timeout') {
    p.child.kill('SIGKILL');
    await gone;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; throws with `what` (and the process log tail) on timeout. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, proc?: Proc): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (proc?.exited) throw new Error(`${proc.name} exited while waiting for ${what}:\n${proc.tail()}`);
    try { if (await check()) return; } catch { /* not yet */ }
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${proc ? `:\n${proc.tail()}` : ''}`);
}

export function run(bin: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(t); resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }); });
  });
}
