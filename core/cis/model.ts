/**
 * The processes a rendered stack will run, as `ps` would show them: Talos's own defaults
 * (core/talos/defaults.ts) with our flags merged the way Talos merges them, and the kubelet
 * configuration Talos writes. The CIS evaluator and the end-to-end harness both start from it.
 */
import type { NodeConfig, StackConfig } from '../config/schema';
import { apiServerExtraArgs, argsOf, kubeletConfig, kubeletExtraConfig113 } from '../render/machine/inputs';
import type { ClusterPlan } from '../render/plan';
import {
  ComponentDefaults, TalosLine, TALOS_PATHS, apiServerDefaults, controllerManagerDefaults, etcdDefaults, kubeletDefaults, mergeArgs, schedulerDefaults,
} from '../talos/defaults';
import type { ProcessModel } from './evaluate';

export interface ComponentFlags {
  apiserver: Record<string, string>;
  controllermanager: Record<string, string>;
  scheduler: Record<string, string>;
  etcd: Record<string, string>;
  kubelet: Record<string, string>;
  proxy: Record<string, string>;
  kubeletConfig: Record<string, unknown>;
}

/** What Talos gives each control-plane component of this stack before Bulwark's extra args (core/talos/defaults.ts). */
export function componentDefaults(stack: StackConfig, line: TalosLine): Record<'apiserver' | 'controllermanager' | 'scheduler' | 'etcd', ComponentDefaults> {
  const structuredAuthn = stack.cluster.contract === '1.14';
  return {
    apiserver: apiServerDefaults(line, { endpoint: stack.cluster.endpoint, serviceSubnets: stack.cluster.serviceSubnets, structuredAuthn }),
    controllermanager: controllerManagerDefaults(line, stack.cluster.podSubnets, stack.cluster.serviceSubnets),
    scheduler: schedulerDefaults(),
    etcd: etcdDefaults(line),
  };
}

/**
 * What a node's configuration hands each component beyond Talos's defaults: the extra args, the kubelet's
 * extraConfig and seccomp default, kube-proxy's args (contract 1.13). Read from the node's documents as
 * rendered and patched (configInputs), or from the plan (planInputs, what Bulwark itself renders).
 */
export interface NodeComponentInputs {
  apiserver: Record<string, string>;
  controllermanager: Record<string, string>;
  scheduler: Record<string, string>;
  etcd: Record<string, string>;
  kubeletArgs: Record<string, string>;
  kubeletConfig: Record<string, unknown>;
  defaultRuntimeSeccomp: boolean;
  proxy: Record<string, string>;
}

/** What Bulwark's plan puts in a node's configuration (before any config patch). */
export function planInputs(stack: StackConfig, plan: ClusterPlan, node: NodeConfig | undefined): NodeComponentInputs {
  const cp = plan.controlPlane;
  const m = node ? plan.machine(node) : undefined;
  return {
    apiserver: apiServerExtraArgs(cp, stack.cluster.contract === '1.14' ? {} : { 'authentication-config': '/etc/bulwark/authentication-config.yaml' }),
    controllermanager: argsOf(cp.controllerManagerArgs),
    scheduler: argsOf(cp.schedulerArgs),
    etcd: argsOf(cp.etcdArgs),
    kubeletArgs: m ? argsOf(m.kubeletArgs) : {},
    kubeletConfig: m && node ? (stack.cluster.contract === '1.14' ? kubeletConfig(m) : kubeletExtraConfig113(node, m)) : {},
    defaultRuntimeSeccomp: m?.defaultRuntimeSeccomp ?? false,
    proxy: stack.cluster.contract === '1.14' ? {} : argsOf(cp.kubeProxyArgs), // 1.14: KubeProxyConfig's file, not flags
  };
}

type Doc = Record<string, unknown>;
const obj = (v: unknown): Doc => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {});

/** Talos extraArgs values are a string or a list of strings (the flag repeated); the model keeps one value, a list comma-joined. */
function args(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (x !== undefined && x !== null) out[k] = Array.isArray(x) ? x.map(String).join(',') : String(x);
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
}

/**
 * What a node's Talos documents (as rendered, then patched by bulwark:patches) hand each component: the
 * places Talos reads them from, per contract (1.13: the v1alpha1 document; 1.14: KubeAPIServerConfig,
 * KubeControllerManagerConfig, KubeSchedulerConfig, KubeletConfig, etcd still in v1alpha1).
 */
export function configInputs(contract: '1.13' | '1.14', docs: Doc[]): NodeComponentInputs {
  const byKind = (kind: string) => obj(docs.find((d) => d.kind === kind));
  const v1 = obj(docs.find((d) => d.kind === undefined));
  const machine = obj(v1.machine);
  const cluster = obj(v1.cluster);
  if (contract === '1.13') {
    const kubelet = obj(machine.kubelet);
    return {
      apiserver: args(obj(cluster.apiServer).extraArgs),
      controllermanager: args(obj(cluster.controllerManager).extraArgs),
      scheduler: args(obj(cluster.scheduler).extraArgs),
      etcd: args(obj(cluster.etcd).extraArgs),
      kubeletArgs: args(kubelet.extraArgs),
      kubeletConfig: obj(kubelet.extraConfig),
      defaultRuntimeSeccomp: kubelet.defaultRuntimeSeccompProfileEnabled === true,
      proxy: args(obj(cluster.proxy).extraArgs),
    };
  }
  const kubelet = byKind('KubeletConfig');
  return {
    apiserver: args(byKind('KubeAPIServerConfig').extraArgs),
    controllermanager: args(byKind('KubeControllerManagerConfig').extraArgs),
    scheduler: args(byKind('KubeSchedulerConfig').extraArgs),
    etcd: args(obj(cluster.etcd).extraArgs),
    kubeletArgs: args(kubelet.extraArgs),
    kubeletConfig: obj(kubelet.config),
    defaultRuntimeSeccomp: kubelet.defaultRuntimeSeccompProfileEnabled === true,
    proxy: {}, // 1.14 runs kube-proxy with --config only (below)
  };
}

/** The flags Talos would run this node's components with, from Bulwark's plan (no config patch). */
export function componentFlags(stack: StackConfig, plan: ClusterPlan, line: TalosLine, node: NodeConfig | undefined): ComponentFlags {
  return flagsFrom(stack, line, node, planInputs(stack, plan, node));
}

/** Flags Talos refuses to let extraArgs override, per component (the whole machine config is rejected). */
export function deniedFlags(stack: StackConfig, line: TalosLine, inputs: NodeComponentInputs): string[] {
  const d = componentDefaults(stack, line);
  const out: string[] = [];
  for (const [k, name] of [['apiserver', 'kube-apiserver'], ['controllermanager', 'kube-controller-manager'], ['scheduler', 'kube-scheduler'], ['etcd', 'etcd']] as const)
    for (const f of Object.keys(inputs[k])) if (d[k].denied.includes(f)) out.push(`${name} --${f}`);
  return out;
}

/** Talos's defaults for each component, with the node's inputs merged the way Talos merges them. */
export function flagsFrom(stack: StackConfig, line: TalosLine, node: NodeConfig | undefined, inputs: NodeComponentInputs): ComponentFlags {
  const d = componentDefaults(stack, line);
  const apiserver = mergeArgs(d.apiserver, inputs.apiserver);
  const controllermanager = mergeArgs(d.controllermanager, inputs.controllermanager);
  const scheduler = mergeArgs(d.scheduler, inputs.scheduler);
  const etcd = mergeArgs(d.etcd, inputs.etcd);
  const kd = kubeletDefaults(inputs.defaultRuntimeSeccomp);
  // Talos: forced fields win over extraConfig; defaults only fill what the user left unset.
  const kubeletCfg: Record<string, unknown> = { ...kd.config, ...inputs.kubeletConfig };
  for (const k of kd.forbidden) if (k in kd.config) kubeletCfg[k] = kd.config[k];
  const kubelet = {
    'bootstrap-kubeconfig': '/etc/kubernetes/bootstrap-kubeconfig',
    'cert-dir': '/var/lib/kubelet/pki',
    config: TALOS_PATHS.kubeletConfig,
    'hostname-override': node?.name ?? 'node',
    kubeconfig: '/etc/kubernetes/kubeconfig-kubelet',
    ...inputs.kubeletArgs,
  };
  // Contract 1.14 renders KubeProxyConfig: Talos runs kube-proxy with --config (its other flags would be
  // ignored), the settings live in the configuration file. Contract 1.13 passes flags.
  const proxy: Record<string, string> = stack.cluster.contract === '1.14'
    ? { config: '/var/lib/kube-proxy/config.conf', 'hostname-override': '$(NODE_NAME)' }
    : {
        'cluster-cidr': stack.cluster.podSubnets.join(','),
        'conntrack-max-per-core': '0',
        'hostname-override': '$(NODE_NAME)',
        kubeconfig: '/etc/kubernetes/kubeconfig',
        'proxy-mode': 'nftables',
        ...inputs.proxy,
      };
  return { apiserver, controllermanager, scheduler, etcd, kubelet, proxy, kubeletConfig: sortDeep(kubeletCfg) as Record<string, unknown> };
}

const cmd = (bin: string, args: Record<string, string>) => [bin, ...Object.keys(args).sort().map((k) => `--${k}=${args[k]}`)].join(' ');

export function processModel(flags: ComponentFlags, firstEncryptionProvider: string): ProcessModel {
  return {
    cmdlines: {
      apiserver: cmd('/usr/local/bin/kube-apiserver', flags.apiserver),
      controllermanager: cmd('/usr/local/bin/kube-controller-manager', flags.controllermanager),
      scheduler: cmd('/usr/local/bin/kube-scheduler', flags.scheduler),
      etcd: cmd('/usr/local/bin/etcd', flags.etcd),
      kubelet: cmd('/usr/local/bin/kubelet', flags.kubelet),
      proxy: cmd('/usr/local/bin/kube-proxy', flags.proxy),
    },
    kubeletConfig: flags.kubeletConfig,
    encryptionProviderLine: `provider=${firstEncryptionProvider}`,
  };
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortDeep((v as Record<string, unknown>)[k])]));
  return v;
}
