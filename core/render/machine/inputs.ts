/**
 * Everything a machine configuration is rendered from, contract-neutral: the node, its plan
 * (merged control contributions), the control plane plan, and the secrets. Both contract
 * emitters (v1alpha1 for 1.13, multi-document for 1.14) take this.
 */
import { isIP } from 'node:net';
import type { NodeConfig, StackConfig } from '../../config/schema';
import { isPoolLabel } from '../../controls/catalogue/node-pools';
import type { SecretsBundle } from '../../secrets/bundle';
import type { TalosLine } from '../../talos/defaults';
import type { ControlPlanePlan, MachinePlan } from '../plan';

export interface MachineInputs {
  stack: StackConfig;
  node: NodeConfig;
  machine: MachinePlan;
  controlPlane: ControlPlanePlan;
  secrets: SecretsBundle;
  talosLine: TalosLine;
  installerImage: string;
  /** The AuthenticationConfiguration body (without apiVersion/kind), always present. */
  authentication: Record<string, unknown>;
  /** True when the stack has no workers, so control planes must run workloads. */
  controlPlaneSchedulable: boolean;
}

/**
 * Extra SANs for the Talos API certificate. Talos adds every interface address itself, so an IP
 * address is not repeated (and configs of a role stay identical across nodes); a DNS name and
 * the VIP are added.
 */
export function machineCertSANs(i: MachineInputs): string[] {
  const sans: string[] = [];
  if (!isIP(i.node.address)) sans.push(i.node.address);
  if (i.stack.cluster.vip && i.node.role === 'controlplane') sans.push(i.stack.cluster.vip.address);
  return sans;
}

export const images = (k8s: string) => ({
  apiServer: `registry.k8s.io/kube-apiserver:${k8s}`,
  controllerManager: `registry.k8s.io/kube-controller-manager:${k8s}`,
  scheduler: `registry.k8s.io/kube-scheduler:${k8s}`,
  proxy: `registry.k8s.io/kube-proxy:${k8s}`,
  kubelet: `ghcr.io/siderolabs/kubelet:${k8s}`,
});

/**
 * The EncryptionConfiguration body. Keys are named as Talos names its secretbox key (`key2`,
 * k8stemplates/apiserver.go) so data written under contract 1.13 stays readable after the
 * move to 1.14; during a rotation the new key comes first and the old ones still decrypt.
 * Secrets: secretbox only, as `talosctl gen config` 1.14 writes it; Talos has encrypted them from a
 * cluster's first start, so no plaintext Secret exists to fall back to, and an `identity` reader would
 * accept plaintext written into etcd behind the API server's back. Everything else a profile adds
 * (configmaps) keeps `identity` last: on a cluster that turns it on later, the objects written before
 * stay readable until rewritten.
 */
export function encryptionConfiguration(cp: ControlPlanePlan, keys: { name: string; secret: string }[]): Record<string, unknown> {
  const secretbox = { secretbox: { keys: keys.map((k) => ({ name: k.name, secret: k.secret })) } };
  const added = [...cp.encryptedResources.keys()].filter((r) => r !== 'secrets').sort();
  return {
    resources: [
      ...(cp.encryptedResources.has('secrets') ? [{ resources: ['secrets'], providers: [secretbox] }] : []),
      ...(added.length ? [{ resources: added, providers: [secretbox, { identity: {} }] }] : []),
    ],
  };
}

/** Flags as Talos extraArgs: sorted, with the admission plugins folded into one flag. */
export function apiServerExtraArgs(cp: ControlPlanePlan, extra: Record<string, string> = {}): Record<string, string> {
  const args: Record<string, string> = { ...extra };
  for (const [k, v] of cp.apiServerArgs) args[k] = v.value;
  if (cp.admissionPlugins.size) args['enable-admission-plugins'] = [...cp.admissionPlugins.keys()].sort().join(',');
  return sortKeys(args);
}

export function argsOf(map: Map<string, { value: string }>): Record<string, string> {
  return sortKeys(Object.fromEntries([...map].map(([k, v]) => [k, v.value])));
}

export function valuesOf<T>(map: Map<string, { value: T }>): Record<string, T> {
  return sortKeys(Object.fromEntries([...map].map(([k, v]) => [k, v.value])));
}

export function sortKeys<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]]));
}

export function kubeletConfig(m: MachinePlan): Record<string, unknown> {
  return valuesOf(m.kubelet);
}

/** Labels Talos writes (as the kubelet): all but the pool labels, which the deployer applies (catalogue/node-pools.ts). */
export function nodeLabels(inputs: MachineInputs): Record<string, string> {
  const own = Object.fromEntries(Object.entries(inputs.node.labels).filter(([k]) => !isPoolLabel(k)));
  return sortKeys({ ...own, ...valuesOf(inputs.machine.nodeLabels) });
}

/** Taints in Talos's map form: key → "value:Effect" (or ":Effect"/"Effect"). */
export function nodeTaints(inputs: MachineInputs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of [...inputs.node.taints, ...inputs.machine.nodeTaints]) out[t.key] = t.value ? `${t.value}:${t.effect}` : t.effect;
  return sortKeys(out);
}

/**
 * Contract 1.13's machine.kubelet.extraConfig: the plan's, plus the node's taints as registerWithTaints (corev1.Taint
 * form, by key). Talos 1.14 registers the kubelet with them itself; Talos 1.13 only with a control plane's role taint,
 * adding the rest once the Node exists, a window in which any pod may be scheduled on a dedicated or sandbox node.
 */
export function kubeletExtraConfig113(node: NodeConfig, m: MachinePlan): Record<string, unknown> {
  const byKey = new Map<string, { key: string; value?: string; effect: string }>();
  for (const t of [...node.taints, ...m.nodeTaints]) byKey.set(t.key, { key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect });
  const registerWithTaints = [...byKey.keys()].sort().map((k) => byKey.get(k)!);
  return sortKeys({ ...kubeletConfig(m), ...(registerWithTaints.length ? { registerWithTaints } : {}) });
}

/** Talos VolumeConfig documents for TPM-sealed system volumes (same form in 1.13 and 1.14). */
export function volumeEncryptionDocs(m: MachinePlan): Record<string, unknown>[] {
  if (!m.diskEncryption) return [];
  return m.diskEncryption.volumes.map((name) => ({
    apiVersion: 'v1alpha1',
    kind: 'VolumeConfig',
    name,
    encryption: {
      provider: 'luks2',
      keys: [{ slot: 0, tpm: { checkSecurebootStatusOnEnroll: m.secureboot } }],
    },
  }));
}

/** Disk selection as a CEL expression (contract 1.14's UnattendedInstallConfig). */
export function diskSelectorCel(node: NodeConfig): string {
  if (node.installDisk) return `disk.dev_path == ${JSON.stringify(node.installDisk)}`;
  const s = node.diskSelector!;
  const parts: string[] = [];
  if (s.type) parts.push(s.type === 'nvme' ? 'disk.transport == "nvme"' : s.type === 'ssd' ? '!disk.rotational' : s.type === 'hdd' ? 'disk.rotational' : 'disk.transport == "mmc"');
  if (s.model) parts.push(globCel('disk.model', s.model));
  if (s.serial) parts.push(globCel('disk.serial', s.serial));
  if (s.wwid) parts.push(globCel('disk.wwid', s.wwid));
  if (s.busPath) parts.push(globCel('disk.bus_path', s.busPath));
  if (s.size) {
    const m = s.size.match(/^(<=|>=|<|>|==)?\s?(\d+)\s?(\w+)?$/)!;
    parts.push(`disk.size ${m[1] ?? '=='} ${m[2]}u * ${unitCel(m[3] ?? 'B')}`);
  }
  return parts.join(' && ');
}

function globCel(field: string, pattern: string): string {
  if (!pattern.includes('*')) return `${field} == ${JSON.stringify(pattern)}`;
  const re = '^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$';
  return `${field}.matches(${JSON.stringify(re)})`;
}

function unitCel(u: string): string {
  const units: Record<string, string> = { B: '1u', kB: 'KB', KB: 'KB', MB: 'MB', GB: 'GB', TB: 'TB', KiB: 'KiB', MiB: 'MiB', GiB: 'GiB', TiB: 'TiB' };
  return units[u] ?? '1u';
}

/**
 * The cluster's CNI as Talos sees it. flannel is Talos's own; with a control that needs
 * NetworkPolicy, Talos deploys kube-network-policies beside it (flannel alone enforces none).
 * cilium and none both tell Talos to deploy no CNI: the program installs Cilium, or you bring yours.
 */
export function talosCni(i: MachineInputs): { flannel: false } | { flannel: true; kubeNetworkPoliciesEnabled: boolean } {
  if (i.stack.cluster.cni !== 'flannel') return { flannel: false };
  return { flannel: true, kubeNetworkPoliciesEnabled: i.controlPlane.kubeNetworkPolicies };
}
