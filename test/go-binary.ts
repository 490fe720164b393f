/**
 * A small Go program the tests use as a judge or stand-in (test/<name>/: go.mod, go.sum pinned,
 * main.go), built once into ~/.cache/bulwark-test keyed by its source's hash; later runs reuse it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function goTestBinary(name: string): string {
  const source = join(__dirname, name);
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(join(source, f)));
  const dir = join(homedir(), '.cache', 'bulwark-test', `${name}-${hash.digest('hex').slice(0, 16)}`);
  const bin = join(dir, name);
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${bin}.${process.pid}`;
    execFileSync('go', ['build', '-o', tmp, '.'], { cwd: source, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false' } });
    renameSync(tmp, bin); // atomic: a parallel test run never executes a half-written binary
  }
  return bin;
}
