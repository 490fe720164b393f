/**
 * The kubelet Talos would run on a node: its KubeletConfiguration and flags as Talos's own KubeletConfigController
 * and KubeletSpecController compute them (talos-compute) from the node's rendered machine config, with the node's
 * address given to Talos as the node IP (so --node-ip is Talos's own), and the labels and taints Talos's
 * NodeLabelSpecController and NodeTaintSpecController compute for NodeApplyController to set on the Node.
 *
 * A control plane's kubelet comes from talos-compute's control-plane mode (the same controllers machined runs there),
 * a worker's from its worker mode on the worker's own config; the labels and taints from its node-labels mode.
 */
import type { TalosLine } from '../../core/talos/defaults';
import { type Computed, computeControlPlane } from '../../test/talos/talosctl';
import { type ComputedNodeLabels, computeNodeLabels, computeWorker } from '../../test/talos/compute-worker';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

export interface TalosKubelet {
  /** the kubelet's flags as Talos computes them (`--name=value` -> name: value) */
  args: Record<string, string>;
  /** the KubeletConfiguration as Talos computes it */
  config: Doc;
  labels: Record<string, string>;
  /** the taints NodeApplyController sets (on 1.13 a worker's kubelet registers without them) */
  taints: ComputedNodeLabels['nodeTaints'];
  /** Talos manifests computed for the cluster (bootstrap RBAC, kube-proxy, CoreDNS, ...) */
  manifests: Doc[];
}

export function argsMap(args: string[]): Record<string, string> {
  return Object.fromEntries(args.map((a) => {
    const m = a.match(/^--([^=]+)=(.*)$/s);
    if (!m) throw new Error(`kubelet arg ${a}`);
    return [m[1], m[2]];
  }));
}

/**
 * Talos's kubelet for the node. `cpConfig` is the control plane's config: the cluster-wide manifests (bootstrap RBAC,
 * kube-proxy, CoreDNS) are computed there, as on Talos, where the control plane applies them.
 */
export function talosKubelet(opts: { line: TalosLine; nodeConfig: string; cpConfig: string; cpName: string; cpIp: string; name: string; role: string; ip: string }): TalosKubelet {
  const node = computeNodeLabels(opts.line, opts.nodeConfig, opts.name, opts.ip);
  if (node.machineType !== opts.role) throw new Error(`${opts.name}: rendered as ${opts.role}, Talos reads machine type ${node.machineType}`);
  let kubelet: Computed['kubelet'];
  let manifests: Doc[];
  if (opts.role === 'controlplane') {
    const cp = computeControlPlane(opts.line, opts.nodeConfig, opts.name, opts.ip);
    ({ kubelet, manifests } = cp);
  } else {
    kubelet = computeWorker(opts.line, opts.nodeConfig, opts.name, opts.ip).kubelet;
    manifests = computeControlPlane(opts.line, opts.cpConfig, opts.cpName, opts.cpIp).manifests;
  }
  return { args: argsMap(kubelet.args), config: structuredClone(kubelet.config) as Doc, labels: node.nodeLabels, taints: node.nodeTaints, manifests };
}

/**
 * Every KubeletConfiguration field the harness changes from Talos's, and why (the e2e node test checks the running
 * kubelet's /configz against Talos's output with exactly these exceptions). Everything else is Talos's as computed.
 */
export const KUBELET_CONFIG_CHANGES: Record<string, string> = {
  'authentication.x509.clientCAFile': 'path under the node folder',
  staticPodPath: 'path under the node folder',
  staticPodURL: 'dropped: machined\'s static pod server does not run (the control plane runs as processes)',
  containerRuntimeEndpoint: 'the node\'s containerd socket under its folder',
  resolvConf: 'path under the node folder (names the site\'s DNS forwarder)',
  cgroupRoot: '/bulwark-e2e-<node> instead of /: two kubelets share one host',
  kubeletCgroups: 'dropped: two kubelets share one host',
  systemCgroups: 'dropped: two kubelets share one host',
  failCgroupV1: 'false: cgroup v1 host (Talos runs cgroup v2; kubelet 1.36 refuses v1 without it)',
  protectKernelDefaults: 'false: the sysctls it requires (vm.overcommit_memory=1, kernel.panic=10, kernel.panic_on_oops=1) are global on this shared machine and are not set',
  podLogsDir: 'path under the node folder',
};

/** Talos's KubeletConfiguration with KUBELET_CONFIG_CHANGES applied (and nothing else). */
export function localKubeletConfig(talos: Doc, o: { local: (p: string) => string; caPath: string; socket: string; resolvConf: string; cgroupRoot: string }): Doc {
  const kc: Doc = structuredClone(talos);
  kc.authentication.x509.clientCAFile = o.caPath;
  if (kc.staticPodPath) kc.staticPodPath = o.local(kc.staticPodPath);
  delete kc.staticPodURL;
  kc.containerRuntimeEndpoint = `unix://${o.socket}`;
  kc.resolvConf = o.resolvConf;
  kc.cgroupRoot = o.cgroupRoot;
  delete kc.kubeletCgroups;
  delete kc.systemCgroups;
  kc.failCgroupV1 = false;
  kc.protectKernelDefaults = false;
  kc.podLogsDir = o.local('/var/log/pods');
  return kc;
}

/** Talos's kubelet flags with their paths under the node folder, plus --root-dir there (the one flag added). */
export function localKubeletArgs(talos: Record<string, string>, local: (p: string) => string): Record<string, string> {
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(talos)) args[k] = v.startsWith('/') ? local(v) : v;
  args['root-dir'] = local('/var/lib/kubelet');
  return args;
}
