/** What `ps` would show on a control-plane node, from Talos's computed command lines and files (talos-compute). */
import { parse } from 'yaml';
import type { ProcessModel } from '../../core/cis/evaluate';
import type { Computed } from './talosctl';

/** The processes as the CIS evaluator reads them (core/cis/evaluate.ts), from what Talos's controllers computed. */
export function talosProcesses(t: Computed): ProcessModel {
  const pod = (name: string) => t.staticPods[name]?.spec.containers[0].command.join(' ') ?? '';
  const proxy = t.manifests.find((x) => x.kind === 'DaemonSet' && x.metadata.name === 'kube-proxy');
  const enc = parse(t.files['kube-apiserver/encryptionconfig.yaml'] ?? '{}') as { resources?: Array<{ providers: Array<Record<string, unknown>> }> };
  return {
    cmdlines: {
      apiserver: pod('kube-apiserver'),
      controllermanager: pod('kube-controller-manager'),
      scheduler: pod('kube-scheduler'),
      etcd: ['/usr/local/bin/etcd', ...t.etcd.args].join(' '),
      kubelet: ['/usr/local/bin/kubelet', ...t.kubelet.args].join(' '),
      proxy: (proxy?.spec.template.spec.containers[0].command ?? []).join(' '),
    },
    kubeletConfig: t.kubelet.config,
    encryptionProviderLine: `provider=${Object.keys(enc.resources?.[0]?.providers[0] ?? {})[0]}`,
  };
}
