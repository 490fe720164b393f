/**
 * talos-compute's worker mode (e2e/tools/talos-compute/worker.go): Talos's kubelet config and spec controllers and
 * its node label and taint controllers, run in memory on a worker's machine config; and its node-labels mode (the
 * label and taint controllers alone, for a node of any type).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Computed, talosCompute } from './talosctl';
import type { TalosLine } from './variants';

export interface ComputedNodeLabels {
  talos: string;
  machineType: string;
  /** what Talos's NodeApplyController would set on the Node */
  nodeLabels: Record<string, string>;
  nodeTaints: Array<{ key: string; value: string; effect: string }>;
  kubeletProtectedFields: string[];
}

export interface ComputedWorker extends ComputedNodeLabels {
  kubelet: Computed['kubelet'];
}

const isolate = spawnSync('unshare', ['-n', 'true']).status === 0;

/** What Talos's controllers compute for a worker node of this config; throws with their errors if they reject it. */
export function computeWorker(line: TalosLine, config: string, nodeName: string, nodeIP: string): ComputedWorker {
  return run('worker', line, config, nodeName, nodeIP) as ComputedWorker;
}

/** The labels and taints Talos's controllers compute for a node of any type (no kubelet). */
export function computeNodeLabels(line: TalosLine, config: string, nodeName: string, nodeIP: string): ComputedNodeLabels {
  return run('node-labels', line, config, nodeName, nodeIP);
}

function run(mode: string, line: TalosLine, config: string, nodeName: string, nodeIP: string): ComputedNodeLabels {
  const j = talosCompute[line];
  if ('absent' in j) throw new Error(j.absent);
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-talos-compute-worker-'));
  try {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, config, { mode: 0o600 });
    const args = [mode, '--config', file, '--node-name', nodeName, '--node-ip', nodeIP];
    // no network client in it; still run without a network, as every judge near the stacks' addresses
    const [cmd, argv] = isolate ? ['unshare', ['-n', j.path, ...args]] : [j.path, args];
    const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() } });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`talos-compute ${line} ${mode} (${nodeName}): ${(r.stderr || r.stdout).trim()}`);
    return JSON.parse(r.stdout) as ComputedNodeLabels;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
