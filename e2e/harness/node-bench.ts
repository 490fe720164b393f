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
import { type BenchCheck, kubeBenchChecks } from './kubebench';
import type { RunningNode } from './node';

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
    return await kubeBenchChecks(kubeBench, 'node', cfg);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
