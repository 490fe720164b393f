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

/**
 * A port for a server a test starts, free when asked. Picked below the kernel's ephemeral range
 * (net.ipv4.ip_local_port_range: the source ports of client connections), so no connection can take
 * it between this pick and the server's bind (a scheduler once failed to bind the port of its
 * control plane that a client had just taken); and from this jest worker's own slice of that window,
 * so concurrent workers in one network namespace never pick the same port.
 */
export async function freePort(): Promise<number> {
  const { first, size } = portSlice();
  for (let i = 0; i < size; i++) {
    const port = first + ((nextPort++) % size);
    if (await canListen(port)) return port;
  }
  throw new Error(`freePort: no free port in ${first}-${first + size - 1}`);
}

/** The window for picked ports: from 20000 to just below the ephemeral range, cut into 8 worker slices. */
export function portSlice(): { first: number; size: number } {
  let ephemeralLow = 32768; // Linux's default
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch { /* not Linux: keep the default */ }
  const low = 20000;
  const size = Math.max(1, Math.floor((ephemeralLow - low) / 8));
  const worker = (Math.max(1, Number(process.env.JEST_WORKER_ID) || 1) - 1) % 8;
  return { first: low + worker * size, size };
}

// a random start: two runs outside jest's worker numbering (e.g. two suites at once) rarely meet
let nextPort = Math.floor(Math.random() * 1_000_000);

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
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
