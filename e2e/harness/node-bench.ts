/**
 * kube-bench's node targets (CIS 1.12 section 4: kubelet, proxy) against a running e2e node. kube-bench finds the
 * kubelet in `ps` and its files from the candidate paths of its cfg/config.yaml; the node's files are under its
 * folder, so a copy of the cfg folder lists the node's paths first (that is the only change; the checks are
 * upstream's).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { BenchCheck } from './kubebench';
import type { RunningNode } from './node';
import { run } from './proc';

export async function runKubeBenchNode(kubeBench: string, cfgDir: string, node: RunningNode, kubeProxyKubeconfig: string): Promise<BenchCheck[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-kube-bench-'));
  try {
    const cfg = join(dir, 'cfg');
    cpSync(cfgDir, cfg, { recursive: true });
    const file = join(cfg, 'config.yaml');
    const c = parse(readFileSync(file, 'utf8'));
    const k = c.node.kubelet;
    k.confs = [node.kubeletConfigPath, ...k.confs];
    k.kubeconfig = [node.kubeletArgs.kubeconfig, ...k.kubeconfig];
    k.cafile = [node.kubeletConfig.authentication.x509.clientCAFile, ...k.cafile];
    c.node.proxy.kubeconfig = [kubeProxyKubeconfig, ...(c.node.proxy.kubeconfig ?? [])];
    writeFileSync(file, stringify(c));
    const r = await run(kubeBench, ['run', '--targets', 'node', '--benchmark', 'cis-1.12', '--config-dir', cfg, '--json'], { timeoutMs: 120_000 });
    const start = r.stdout.indexOf('{');
    if (start < 0) throw new Error(`kube-bench printed no JSON (exit ${r.code}): ${r.stderr.slice(0, 500)}`);
    const json = JSON.parse(r.stdout.slice(start));
    const controls = (Array.isArray(json) ? json : json.Controls) as { tests: { results: Record<string, unknown>[] }[] }[];
    const out: BenchCheck[] = [];
    for (const ctl of controls) for (const t of ctl.tests ?? []) for (const x of t.results ?? [])
      out.push({ id: String(x.test_number), text: String(x.test_desc), status: String(x.status), manual: x.type === 'manual' });
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
