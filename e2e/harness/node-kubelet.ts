/**
 * The kubelet Talos would run on a node: its KubeletConfiguration and flags as Talos's own KubeletSpecController
 * computes them (talos-compute) from the rendered machine config, with the node's address given to Talos as the
 * node IP (so --node-ip is Talos's own), and the node labels Talos's NodeApplyController applies.
 *
 * talos-compute runs the controllers of a control-plane node (it waits for the static pods), so for a worker it
 * runs on the control-plane config carrying the worker's kubelet and node documents (contract 1.14: KubeletConfig,
 * KubeNodeConfig; 1.13: machine.kubelet, nodeLabels, nodeTaints). Two values depend on the machine type itself and
 * are then set as Talos does for a worker: systemReserved.memory (KubeletSystemReservedMemoryWorker, read from the
 * Talos machinery module) and, on 1.13, the control-plane taint the v1alpha1 shim adds for control planes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { TalosLine } from '../../core/talos/defaults';
import { computeControlPlane } from '../../test/talos/talosctl';
import { machineDocs } from './talos-files';
import { findJudge } from './tools';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

export const CP_LABEL = 'node-role.kubernetes.io/control-plane';

export interface TalosKubelet {
  args: Record<string, string>;
  config: Doc;
  labels: Record<string, string>;
  /** Talos manifests computed for the cluster (bootstrap RBAC, kube-proxy, CoreDNS, ...) */
  manifests: Doc[];
  /** What had to be done because talos-compute computes control planes only (empty for a control plane). */
  workerNotes: string[];
}

function machineryConstant(line: TalosLine, name: string): string {
  const judge = findJudge(`talosctl-${line}`);
  if ('absent' in judge) throw new Error(judge.absent);
  const r = spawnSync('go', ['mod', 'download', '-json', `github.com/siderolabs/talos/pkg/machinery@${judge.version}`], {
    encoding: 'utf8', timeout: 120_000, cwd: '/', env: { ...process.env, GOFLAGS: '-mod=mod', GOWORK: 'off', PATH: `${process.env.PATH}:/usr/local/go/bin` },
  });
  const dir = r.status === 0 ? (JSON.parse(r.stdout) as { Dir?: string }).Dir : undefined;
  const file = dir ? join(dir, 'constants/constants.go') : '';
  if (!dir || !existsSync(file)) throw new Error(`Talos machinery module ${judge.version} not in the Go module cache: ${r.stderr}`);
  const m = readFileSync(file, 'utf8').match(new RegExp(`\\b${name}\\s*=\\s*"([^"]+)"`));
  if (!m) throw new Error(`no ${name} in ${file}`);
  return m[1];
}

const v1alpha1 = (docs: Doc[]) => docs.find((d) => d.machine && d.cluster !== undefined);

/** The labels Talos applies to the node (KubeNodeConfig or machine.nodeLabels; control planes get the role label). */
export function talosNodeLabels(config: string, contract: string): Record<string, string> {
  const docs = machineDocs(config);
  if (contract === '1.14') return { ...(docs.find((d) => d.kind === 'KubeNodeConfig')?.labels ?? {}) };
  const v1 = v1alpha1(docs)!;
  return { ...(v1.machine.nodeLabels ?? {}), ...(v1.machine.type === 'controlplane' ? { [CP_LABEL]: '' } : {}) };
}

function withWorkerNodeDocs(cpConfig: string, workerConfig: string, contract: string): string {
  const cp = machineDocs(cpConfig);
  const w = machineDocs(workerConfig);
  if (contract === '1.14') {
    const kinds = ['KubeletConfig', 'KubeNodeConfig'];
    return [...cp.filter((d) => !kinds.includes(d.kind)), ...w.filter((d) => kinds.includes(d.kind))].map((d) => stringify(d)).join('---\n');
  }
  const cpV1 = v1alpha1(cp)!;
  const wV1 = v1alpha1(w)!;
  for (const k of ['kubelet', 'nodeLabels', 'nodeTaints', 'nodeAnnotations']) {
    if (wV1.machine[k] === undefined) delete cpV1.machine[k];
    else cpV1.machine[k] = wV1.machine[k];
  }
  return cp.map((d) => stringify(d)).join('---\n');
}

export function talosKubelet(opts: { line: TalosLine; contract: string; nodeConfig: string; cpConfig: string; name: string; role: string; ip: string }): TalosKubelet {
  const worker = opts.role !== 'controlplane';
  const config = worker ? withWorkerNodeDocs(opts.cpConfig, opts.nodeConfig, opts.contract) : opts.nodeConfig;
  const computed = computeControlPlane(opts.line, config, opts.name, opts.ip);
  const args = Object.fromEntries(computed.kubelet.args.map((a) => {
    const m = a.match(/^--([^=]+)=(.*)$/s);
    if (!m) throw new Error(`kubelet arg ${a}`);
    return [m[1], m[2]];
  }));
  const kc = structuredClone(computed.kubelet.config) as Doc;
  const workerNotes: string[] = [];
  if (worker) {
    const cpMem = machineryConstant(opts.line, 'KubeletSystemReservedMemoryControlPlane');
    if (kc.systemReserved?.memory === cpMem) {
      kc.systemReserved.memory = machineryConstant(opts.line, 'KubeletSystemReservedMemoryWorker');
      workerNotes.push(`systemReserved.memory ${cpMem} -> ${kc.systemReserved.memory} (KubeletSystemReservedMemoryWorker)`);
    }
    const own = opts.contract === '1.14' ? machineDocs(opts.nodeConfig).find((d) => d.kind === 'KubeNodeConfig')?.taints ?? {} : v1alpha1(machineDocs(opts.nodeConfig))!.machine.nodeTaints ?? {};
    const before = (kc.registerWithTaints ?? []).length;
    kc.registerWithTaints = (kc.registerWithTaints ?? []).filter((t: Doc) => t.key !== CP_LABEL || CP_LABEL in own);
    if (kc.registerWithTaints.length !== before) workerNotes.push(`control-plane taint the v1alpha1 shim adds for control planes removed`);
    if (!kc.registerWithTaints.length) delete kc.registerWithTaints;
  }
  return { args, config: kc, labels: talosNodeLabels(opts.nodeConfig, opts.contract), manifests: computed.manifests, workerNotes };
}
