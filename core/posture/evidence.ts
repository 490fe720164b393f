/** A control's contribution, written out as the settings a reviewer can check. */
import type { NodeConfig } from '../config/schema';
import type { Contribution, MachineContribution } from '../controls/types';
import type { K8sObject } from '../render/k8s';
import type { TenantConfig } from '../config/schema';
import { kubeProxyConfiguration } from '../render/machine/multidoc';

function machineEvidence(m: MachineContribution, scope = ''): string[] {
  const s = scope ? ` (${scope})` : '';
  const out: string[] = [];
  for (const [k, v] of Object.entries(m.sysctls ?? {})) out.push(`sysctl ${k}=${v}${s}`);
  for (const a of m.kernelArgs ?? []) out.push(`kernel argument ${a}${s}`);
  for (const e of m.extensions ?? []) out.push(`system extension ${e}${s}`);
  if (m.secureboot) out.push(`SecureBoot installer image${s}`);
  for (const [k, v] of Object.entries(m.kubelet ?? {})) out.push(`kubelet ${k}: ${JSON.stringify(v)}${s}`);
  for (const [k, v] of Object.entries(m.kubeletArgs ?? {})) out.push(`kubelet --${k}=${v}${s}`);
  if (m.diskEncryption) out.push(`${m.diskEncryption.volumes.join(' and ')} encrypted (LUKS2, ${m.diskEncryption.key.toUpperCase()}-sealed key)${s}`);
  if (m.kubespan) out.push(`KubeSpan enabled${s}`);
  for (const [k, v] of Object.entries(m.nodeLabels ?? {})) out.push(`node label ${k}=${v}${s}`);
  for (const t of m.nodeTaints ?? []) out.push(`node taint ${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}${s}`);
  if (m.defaultRuntimeSeccomp) out.push(`containerd default seccomp profile for every container${s}`);
  return out;
}

const objectName = (o: K8sObject) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

export function contributionEvidence(c: Contribution, tenants: TenantConfig[], nodes: NodeConfig[], contract = '1.13'): string[] {
  const out: string[] = [];
  if (c.machine) out.push(...machineEvidence(c.machine));
  for (const n of c.nodes ?? []) {
    const matched = nodes.filter(n.match).map((x) => x.name);
    out.push(...machineEvidence(n.machine, `${n.select}: ${matched.length ? matched.join(', ') : 'none'}`));
  }
  const cp = c.controlPlane;
  if (cp) {
    for (const [k, v] of Object.entries(cp.apiServerArgs ?? {})) out.push(`kube-apiserver --${k}=${v}`);
    for (const p of cp.admissionPlugins ?? []) out.push(`kube-apiserver admission plugin ${p}`);
    for (const [k, v] of Object.entries(cp.controllerManagerArgs ?? {})) out.push(`kube-controller-manager --${k}=${v}`);
    for (const [k, v] of Object.entries(cp.schedulerArgs ?? {})) out.push(`kube-scheduler --${k}=${v}`);
    for (const [k, v] of Object.entries(cp.etcdArgs ?? {})) out.push(`etcd --${k}=${v}`);
    // Talos 1.14 runs kube-proxy with --config: the setting is a KubeProxyConfiguration field there.
    const proxy = contract === '1.14' ? kubeProxyConfiguration(cp.kubeProxyArgs ?? {}) : undefined;
    for (const [k, v] of Object.entries(proxy ?? cp.kubeProxyArgs ?? {})) out.push(proxy ? `kube-proxy KubeProxyConfiguration ${k}: ${v}` : `kube-proxy --${k}=${v}`);
    for (const a of cp.admissionConfig ?? []) out.push(`admission configuration for ${a.name}: ${summarise(a.configuration)}`);
    if (cp.auditPolicy) out.push(`audit policy with ${(cp.auditPolicy.rules as unknown[]).length} rules`);
    for (const r of cp.encryptedResources ?? []) out.push(`${r} encrypted at rest with secretbox`);
    if (cp.authentication) out.push(`AuthenticationConfiguration with ${(cp.authentication.jwt as unknown[]).length} JWT issuer(s)`);
    if (cp.adminKubeconfigCertLifetime) out.push(`admin kubeconfig certificate lifetime ${cp.adminKubeconfigCertLifetime}`);
    if (cp.kubeNetworkPolicies) out.push('flannel runs with kube-network-policies (Talos: kubeNetworkPoliciesEnabled)');
  }
  for (const o of c.objects ?? []) out.push(`object ${objectName(o)}`);
  if (c.tenantObjects && tenants.length) {
    const kinds = c.tenantObjects(tenants[0]).map((o) => `${o.kind} ${o.metadata.name}`);
    out.push(`per tenant (${tenants.length}): ${kinds.join(', ')}`);
  }
  for (const t of c.talosProvides ?? []) out.push(`enforced by Talos: ${t}`);
  return out;
}

function summarise(cfg: Record<string, unknown>): string {
  const d = cfg.defaults as Record<string, string> | undefined;
  if (d) return `enforce=${d.enforce}@${d['enforce-version']}, audit=${d.audit}, warn=${d.warn}`;
  return `${(cfg.kind as string) ?? 'configuration'}`;
}
