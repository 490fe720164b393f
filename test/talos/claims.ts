/**
 * The "enforced by Talos" evidence of the posture report (a control's talosProvides), judged against what Talos's
 * own controllers computed for the node (talos-compute): a claim the output contradicts is a false posture.
 */
import { parse } from 'yaml';
import type { Computed } from './talosctl';
import { flagsOf } from './talosctl';

const get = (o: unknown, path: string): unknown => path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);

/** undefined when the claim holds, else what Talos computed instead. Throws for a claim no rule here can judge. */
export function judgeClaim(claim: string, t: Computed, etcdPki: Record<string, string>, clusterCaPem: string): string | undefined {
  const c = claim.replace(/\s*\(.*\)$/, ''); // "(from …)": how the setting got there, not part of it
  let m: RegExpMatchArray | null;
  if ((m = c.match(/^etcd --([\w-]+)=(\S+)$/))) {
    const got = flagsOf(['etcd', ...t.etcd.args])[m[1]];
    return got?.length === 1 && got[0] === m[2] ? undefined : `etcd --${m[1]}: Talos passes ${got ? got.join(', ') : 'nothing'}`;
  }
  if ((m = c.match(/^kubelet ([\w.]+)(?:=(\S+))?$/))) {
    const got = get(t.kubelet.config, m[1]);
    if (m[2] === undefined) return got ? undefined : `kubelet ${m[1]}: Talos leaves it unset`;
    return String(got) === m[2] ? undefined : `kubelet ${m[1]}: Talos writes ${JSON.stringify(got)}`;
  }
  if (c === 'etcd CA separate from the Kubernetes CA') {
    const etcdCa = etcdPki['/system/secrets/etcd/ca.crt'];
    if (!etcdCa) return 'Talos wrote no /system/secrets/etcd/ca.crt';
    return etcdCa.trim() !== clusterCaPem.trim() ? undefined : 'Talos\'s etcd CA is the Kubernetes CA';
  }
  if (c === 'kube-apiserver --authorization-config with the Node and RBAC authorizers') {
    const api = flagsOf(t.staticPods['kube-apiserver']?.spec.containers[0].command ?? ['x']);
    if (!api['authorization-config']) return 'Talos passes no --authorization-config';
    const types = ((parse(t.files['kube-apiserver/authorization-config.yaml'] ?? '{}') as { authorizers?: Array<{ type: string }> }).authorizers ?? []).map((a) => a.type);
    return ['Node', 'RBAC'].every((x) => types.includes(x)) ? undefined : `Talos's authorizers: ${JSON.stringify(types)}`;
  }
  throw new Error(`no rule judges the talosProvides claim "${claim}" against Talos's output: add one to test/talos/claims.ts`);
}
