/**
 * go-yaml v2 as a test judge: the YAML 1.1 reader behind kubectl and sigs.k8s.io/yaml. Built once
 * from test/go-yaml (gopkg.in/yaml.v2, pinned in its go.sum, from the Go module cache or the
 * module proxy) into ~/.cache/bulwark-test, keyed by the source's hash; later runs reuse it.
 */
import { execFileSync } from 'node:child_process';
import { goTestBinary } from './go-binary';

const judgeBinary = () => goTestBinary('go-yaml');

/** What go-yaml v2 reads from each document (as JSON data), or `{ '!error': message }`. */
export function goYamlRead(docs: string[]): unknown[] {
  const out = execFileSync(judgeBinary(), { input: JSON.stringify(docs), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(out) as unknown[];
}
