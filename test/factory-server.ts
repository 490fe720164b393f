/**
 * The stand-in Image Factory of test/factory-server (Go, gopkg.in/yaml.v3 pinned in its go.sum), built once
 * into ~/.cache/bulwark-test keyed by its source's hash, and started on loopback for a test.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { goTestBinary } from './go-binary';

const binary = () => goTestBinary('factory-server');

export interface Factory {
  url: string;
  /** What the factory logged (one line per request). */
  log: () => string;
  stop: () => void;
}

export function startFactory(env: Record<string, string> = {}): Promise<Factory> {
  const child: ChildProcess = spawn(binary(), [], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += String(d)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the stand-in factory exited (${code}): ${log}`)));
    child.stdout!.on('data', (d) => {
      out += String(d);
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve({ url: line.trim(), log: () => log, stop: () => child.kill() });
    });
  });
}
