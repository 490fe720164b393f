/**
 * Merges the contributions of the configured controls (enforced, or configured with an unmet
 * dependency, or partly applied in existing-cluster mode: see controls/resolve.ts) into one plan: what every node, each
 * node, and the control plane get. Two controls setting the same key to different values is
 * a catalogue bug and fails loudly, naming both.
 */
import type { NodeConfig } from '../config/schema';
import { CONFIGURED_STATES, type ControlDecision } from '../controls/resolve';
import type { Contribution, ControlContext, ControlPlaneContribution, MachineContribution } from '../controls/types';
import type { K8sObject } from './k8s';

export interface Owned<T> {
  value: T;
  control: string;
}

export interface MachinePlan {
  sysctls: Map<string, Owned<string>>;
  kernelArgs: Map<string, string>;
  extensions: Map<string, string>;
  secureboot: boolean;
  kubelet: Map<string, Owned<unknown>>;
  kubeletArgs: Map<string, Owned<string>>;
  diskEncryption?: { volumes: ('STATE' | 'EPHEMERAL')[]; key: 'tpm' };
  kubespan: boolean;
  nodeLabels: Map<string, Owned<string>>;
  nodeTaints: { key: string; value?: string; effect: string }[];
  defaultRuntimeSeccomp: boolean;
  hostFirewall: boolean;
}

export interface ControlPlanePlan {
  apiServerArgs: Map<string, Owned<string>>;
  admissionPlugins: Map<string, string>;
  controllerManagerArgs: Map<string, Owned<string>>;
  schedulerArgs: Map<string, Owned<string>>;
  etcdArgs: Map<string, Owned<string>>;
  kubeProxyArgs: Map<string, Owned<string>>;
  admissionConfig: { name: string; configuration: Record<string, unknown>; control: string }[];
  auditPolicy?: Owned<Record<string, unknown>>;
  encryptedResources: Map<string, string>;
  authentication?: Owned<Record<string, unknown>>;
  adminKubeconfigCertLifetime?: string;
  kubeNetworkPolicies: boolean;
  inlineManifests: { name: string; objects: K8sObject[]; control: string }[];
  talosApiAccess?: Owned<{ allowedRoles: string[]; allowedKubernetesNamespaces: string[] }>;
}

export interface ClusterPlan {
  /** The per-node plan (every node: base plus node-selected contributions). */
  machine: (node: NodeConfig) => MachinePlan;
  controlPlane: ControlPlanePlan;
  objects: { object: K8sObject; control: string }[];
  tenantObjects: { tenant: string; object: K8sObject; control: string }[];
  notes: { control: string; note: string }[];
  contributions: Map<string, Contribution>;
  /** Rollout limits from controls: the strictest wins. */
  operations: { maxWorkerBatchSize?: number; minHealthTimeoutMinutes?: number };
}

export function emptyMachinePlan(): MachinePlan {
  return {
    sysctls: new Map(), kernelArgs: new Map(), extensions: new Map(), secureboot: false, kubelet: new Map(), kubeletArgs: new Map(),
    kubespan: false, nodeLabels: new Map(), nodeTaints: [], defaultRuntimeSeccomp: false, hostFirewall: false,
  };
}

function setOwned<T>(map: Map<string, Owned<T>>, key: string, value: T, control: string, what: string): void {
  const prev = map.get(key);
  if (prev && JSON.stringify(prev.value) !== JSON.stringify(value))
    throw new Error(`catalogue conflict: ${what} "${key}" is set to ${JSON.stringify(prev.value)} by ${prev.control} and to ${JSON.stringify(value)} by ${control}`);
  map.set(key, { value, control });
}

export function applyMachine(plan: MachinePlan, c: MachineContribution, control: string): void {
  for (const [k, v] of Object.entries(c.sysctls ?? {})) setOwned(plan.sysctls, k, v, control, 'sysctl');
  for (const a of c.kernelArgs ?? []) plan.kernelArgs.set(a, control);
  for (const e of c.extensions ?? []) plan.extensions.set(e, control);
  if (c.secureboot) plan.secureboot = true;
  for (const [k, v] of Object.entries(c.kubelet ?? {})) setOwned(plan.kubelet, k, v, control, 'kubelet setting');
  for (const [k, v] of Object.entries(c.kubeletArgs ?? {})) setOwned(plan.kubeletArgs, k, v, control, 'kubelet flag');
  if (c.diskEncryption) plan.diskEncryption = c.diskEncryption;
  if (c.kubespan) plan.kubespan = true;
  for (const [k, v] of Object.entries(c.nodeLabels ?? {})) setOwned(plan.nodeLabels, k, v, control, 'node label');
  for (const t of c.nodeTaints ?? []) if (!plan.nodeTaints.some((x) => x.key === t.key && x.effect === t.effect)) plan.nodeTaints.push(t);
  if (c.defaultRuntimeSeccomp) plan.defaultRuntimeSeccomp = true;
  if (c.hostFirewall) plan.hostFirewall = true;
}

function applyControlPlane(plan: ControlPlanePlan, c: ControlPlaneContribution, control: string): void {
  for (const [k, v] of Object.entries(c.apiServerArgs ?? {})) setOwned(plan.apiServerArgs, k, v, control, 'kube-apiserver flag');
  for (const p of c.admissionPlugins ?? []) plan.admissionPlugins.set(p, control);
  for (const [k, v] of Object.entries(c.controllerManagerArgs ?? {})) setOwned(plan.controllerManagerArgs, k, v, control, 'kube-controller-manager flag');
  for (const [k, v] of Object.entries(c.schedulerArgs ?? {})) setOwned(plan.schedulerArgs, k, v, control, 'kube-scheduler flag');
  for (const [k, v] of Object.entries(c.etcdArgs ?? {})) setOwned(plan.etcdArgs, k, v, control, 'etcd flag');
  for (const [k, v] of Object.entries(c.kubeProxyArgs ?? {})) setOwned(plan.kubeProxyArgs, k, v, control, 'kube-proxy flag');
  for (const a of c.admissionConfig ?? []) {
    if (plan.admissionConfig.some((x) => x.name === a.name)) throw new Error(`catalogue conflict: admission plugin config ${a.name} given twice (second by ${control})`);
    plan.admissionConfig.push({ ...a, control });
  }
  if (c.auditPolicy) {
    if (plan.auditPolicy) throw new Error(`catalogue conflict: audit policy owned by ${plan.auditPolicy.control} and ${control}`);
    plan.auditPolicy = { value: c.auditPolicy, control };
  }
  for (const r of c.encryptedResources ?? []) plan.encryptedResources.set(r, control);
  if (c.authentication) {
    if (plan.authentication) throw new Error(`catalogue conflict: authentication config owned by ${plan.authentication.control} and ${control}`);
    plan.authentication = { value: c.authentication, control };
  }
  if (c.adminKubeconfigCertLifetime) plan.adminKubeconfigCertLifetime = c.adminKubeconfigCertLifetime;
  for (const m of c.inlineManifests ?? []) plan.inlineManifests.push({ ...m, control });
  if (c.kubeNetworkPolicies) plan.kubeNetworkPolicies = true;
  if (c.talosApiAccess) {
    if (plan.talosApiAccess) throw new Error(`catalogue conflict: Talos API access owned by ${plan.talosApiAccess.control} and ${control}`);
    plan.talosApiAccess = { value: c.talosApiAccess, control };
  }
}

export function buildPlan(decisions: ControlDecision[], ctx: ControlContext): ClusterPlan {
  const base = emptyMachinePlan();
  const controlPlane: ControlPlanePlan = {
    apiServerArgs: new Map(), admissionPlugins: new Map(), controllerManagerArgs: new Map(), schedulerArgs: new Map(), etcdArgs: new Map(), kubeProxyArgs: new Map(),
    admissionConfig: [], encryptedResources: new Map(), kubeNetworkPolicies: false, inlineManifests: [],
  };
  const selective: { match: (n: NodeConfig) => boolean; machine: MachineContribution; control: string }[] = [];
  const objects: ClusterPlan['objects'] = [];
  const tenantObjects: ClusterPlan['tenantObjects'] = [];
  const notes: ClusterPlan['notes'] = [];
  const contributions = new Map<string, Contribution>();
  const operations: ClusterPlan['operations'] = {};

  for (const d of decisions) {
    if (!CONFIGURED_STATES.includes(d.status.state)) continue;
    const id = d.control.id;
    const c = d.control.contribute(ctx);
    contributions.set(id, c);
    if (c.machine) applyMachine(base, c.machine, id);
    for (const n of c.nodes ?? []) selective.push({ match: n.match, machine: n.machine, control: id });
    if (c.controlPlane) applyControlPlane(controlPlane, c.controlPlane, id);
    for (const o of c.objects ?? []) objects.push({ object: o, control: id });
    if (c.tenantObjects) for (const t of ctx.stack.tenants) for (const o of c.tenantObjects(t)) tenantObjects.push({ tenant: t.name, object: o, control: id });
    for (const note of c.notes ?? []) notes.push({ control: id, note });
    if (c.operations) {
      const o = c.operations;
      if (o.maxWorkerBatchSize !== undefined) operations.maxWorkerBatchSize = Math.min(operations.maxWorkerBatchSize ?? Infinity, o.maxWorkerBatchSize);
      if (o.minHealthTimeoutMinutes !== undefined) operations.minHealthTimeoutMinutes = Math.max(operations.minHealthTimeoutMinutes ?? 0, o.minHealthTimeoutMinutes);
    }
  }

  const machine = (node: NodeConfig): MachinePlan => {
    const p = cloneMachinePlan(base);
    for (const s of selective) if (s.match(node)) applyMachine(p, s.machine, s.control);
    return p;
  };
  return { machine, controlPlane, objects, tenantObjects, notes, contributions, operations };
}

function cloneMachinePlan(p: MachinePlan): MachinePlan {
  return {
    sysctls: new Map(p.sysctls), kernelArgs: new Map(p.kernelArgs), extensions: new Map(p.extensions), secureboot: p.secureboot,
    kubelet: new Map(p.kubelet), kubeletArgs: new Map(p.kubeletArgs), diskEncryption: p.diskEncryption, kubespan: p.kubespan,
    nodeLabels: new Map(p.nodeLabels), nodeTaints: [...p.nodeTaints], defaultRuntimeSeccomp: p.defaultRuntimeSeccomp, hostFirewall: p.hostFirewall,
  };
}
