/**
 * go-yaml v2 as a test judge: the YAML 1.1 reader behind kubectl and sigs.k8s.io/yaml. Built once
 * from test/go-yaml (gopkg.in/yaml.v2, pinned in its go.sum, from the Go module cache or the
 * module proxy) into ~/.cache/bulwark-test, keyed by the source's hash; later runs reuse it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const SOURCE = join(__dirname, 'go-yaml');

function judgeBinary(): string {
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(join(SOURCE, f)));
  const dir = join(homedir(), '.cache', 'bulwark-test', `go-yaml-${hash.digest('hex').slice(0, 16)}`);
  const bin = join(dir, 'judge');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${bin}.${process.pid}`;
    execFileSync('go', ['build', '-o', tmp, '.'], { cwd: SOURCE, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false' } });
    renameSync(tmp, bin); // atomic: a parallel test run never executes a half-written binary
  }
  return bin;
}

/** What go-yaml v2 reads from each document (as JSON data), or `{ '!error': message }`. */
export function goYamlRead(docs: string[]): unknown[] {
  const out = execFileSync(judgeBinary(), { input: JSON.stringify(docs), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(out) as unknown[];
}
