/**
 * The processes a rendered stack will run, as `ps` would show them: Talos's own defaults
 * (core/talos/defaults.ts) with our flags merged the way Talos merges them, and the kubelet
 * configuration Talos writes. The CIS evaluator and the end-to-end harness both start from it.
 */
import type { NodeConfig, StackConfig } from '../config/schema';
import { apiServerExtraArgs, argsOf, kubeletConfig } from '../render/machine/inputs';
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

export function componentFlags(stack: StackConfig, plan: ClusterPlan, line: TalosLine, node: NodeConfig | undefined): ComponentFlags {
  const cp = plan.controlPlane;
  const structuredAuthn = stack.cluster.contract === '1.14';
  const d = componentDefaults(stack, line);
  const ours = apiServerExtraArgs(cp, structuredAuthn ? {} : { 'authentication-config': '/etc/bulwark/authentication-config.yaml' });
  const apiserver = mergeArgs(d.apiserver, ours);
  const controllermanager = mergeArgs(d.controllermanager, argsOf(cp.controllerManagerArgs));
  const scheduler = mergeArgs(d.scheduler, argsOf(cp.schedulerArgs));
  const etcd = mergeArgs(d.etcd, argsOf(cp.etcdArgs));
  const m = node ? plan.machine(node) : undefined;
  const kd = kubeletDefaults(m?.defaultRuntimeSeccomp ?? false);
  const ourKubelet = m ? kubeletConfig(m) : {};
  // Talos: forced fields win over extraConfig; defaults only fill what the user left unset.
  const kubeletCfg: Record<string, unknown> = { ...kd.config, ...ourKubelet };
  for (const k of kd.forbidden) if (k in kd.config) kubeletCfg[k] = kd.config[k];
  const kubelet = {
    'bootstrap-kubeconfig': '/etc/kubernetes/bootstrap-kubeconfig',
    'cert-dir': '/var/lib/kubelet/pki',
    config: TALOS_PATHS.kubeletConfig,
    'hostname-override': node?.name ?? 'node',
    kubeconfig: '/etc/kubernetes/kubeconfig-kubelet',
    ...(m ? argsOf(m.kubeletArgs) : {}),
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
        ...argsOf(cp.kubeProxyArgs),
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
