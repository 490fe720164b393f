/**
 * What config patches do to the posture. Every configured control owns the places of a node's Talos
 * documents its contribution lands in (derived here from the contribution's slots, per contract, plus
 * the control's own `ownsPaths`). Patches are applied one after another; a control whose owned value
 * differs after them from what Bulwark rendered is undone on that node: the posture names the patch
 * that last changed it and withholds "enforced", and a profile that forbids patches on security-owned
 * paths refuses the patch instead.
 */
import type { NodeConfig } from '../config/schema';
import type { ControlDecision } from '../controls/resolve';
import type { ConfigPath, Contribution, ControlContext, MachineContribution } from '../controls/types';
import { cisOwnedPaths } from '../cis/owned';
import { AUTHN_FILE, AUTHN_HOST_DIR } from './machine/v1alpha1';
import { kubeProxyConfiguration } from './machine/multidoc';
import { type ConfigPatch, type Doc, PatchError, applyConfigPatch, documentLabel } from './patches';

type Contract = '1.13' | '1.14';
const at = (doc: string, ...path: ConfigPath['path']): ConfigPath => ({ doc, path });

function machinePaths(m: MachineContribution, contract: Contract): ConfigPath[] {
  const v13 = contract === '1.13';
  const out: ConfigPath[] = [];
  for (const k of Object.keys(m.sysctls ?? {})) out.push(v13 ? at('v1alpha1', 'machine', 'sysctls', k) : at('SysctlConfig', 'params', k));
  // kernel arguments, extensions and SecureBoot are the schematic the installer image is built from
  if (m.kernelArgs?.length || m.extensions?.length || m.secureboot) out.push(v13 ? at('v1alpha1', 'machine', 'install', 'image') : at('UnattendedInstallConfig', 'installer', 'image'));
  if (m.kernelArgs?.length && v13) out.push(at('v1alpha1', 'machine', 'install', 'grubUseUKICmdline'));
  for (const k of Object.keys(m.kubelet ?? {})) out.push(v13 ? at('v1alpha1', 'machine', 'kubelet', 'extraConfig', k) : at('KubeletConfig', 'config', k));
  for (const k of Object.keys(m.kubeletArgs ?? {})) out.push(v13 ? at('v1alpha1', 'machine', 'kubelet', 'extraArgs', k) : at('KubeletConfig', 'extraArgs', k));
  for (const v of m.diskEncryption?.volumes ?? []) out.push(at(`VolumeConfig/${v}`, 'encryption'));
  if (m.kubespan) out.push(at('KubeSpanConfig'));
  for (const k of Object.keys(m.nodeLabels ?? {})) out.push(v13 ? at('v1alpha1', 'machine', 'nodeLabels', k) : at('KubeNodeConfig', 'labels', k));
  for (const t of m.nodeTaints ?? []) out.push(v13 ? at('v1alpha1', 'machine', 'nodeTaints', t.key) : at('KubeNodeConfig', 'taints', t.key));
  if (m.defaultRuntimeSeccomp) out.push(v13 ? at('v1alpha1', 'machine', 'kubelet', 'defaultRuntimeSeccompProfileEnabled') : at('KubeletConfig', 'defaultRuntimeSeccompProfileEnabled'));
  return out;
}

function controlPlanePaths(c: NonNullable<Contribution['controlPlane']>, contract: Contract, cp: boolean): ConfigPath[] {
  const v13 = contract === '1.13';
  const out: ConfigPath[] = [];
  // kube-proxy: 1.13 configures it in every node's v1alpha1 document, 1.14 in the control planes' KubeProxyConfig
  if (v13) for (const k of Object.keys(c.kubeProxyArgs ?? {})) out.push(at('v1alpha1', 'cluster', 'proxy', 'extraArgs', k));
  if (!cp) return out;
  if (!v13) for (const k of Object.keys(kubeProxyConfiguration(c.kubeProxyArgs ?? {}))) out.push(at('KubeProxyConfig', 'config', k));
  const component = (v1: string, doc: string, args: Record<string, string> | undefined) => {
    for (const k of Object.keys(args ?? {})) out.push(v13 ? at('v1alpha1', 'cluster', v1, 'extraArgs', k) : at(doc, 'extraArgs', k));
  };
  component('apiServer', 'KubeAPIServerConfig', c.apiServerArgs);
  if (c.admissionPlugins?.length) component('apiServer', 'KubeAPIServerConfig', { 'enable-admission-plugins': '' });
  component('controllerManager', 'KubeControllerManagerConfig', c.controllerManagerArgs);
  component('scheduler', 'KubeSchedulerConfig', c.schedulerArgs);
  for (const k of Object.keys(c.etcdArgs ?? {})) out.push(at('v1alpha1', 'cluster', 'etcd', 'extraArgs', k));
  for (const a of c.admissionConfig ?? [])
    out.push(v13 ? at('v1alpha1', 'cluster', 'apiServer', 'admissionControl', { key: 'name', value: a.name }) : at(`KubeAdmissionControlConfig/${a.name}`, 'configuration'));
  if (c.auditPolicy) out.push(v13 ? at('v1alpha1', 'cluster', 'apiServer', 'auditPolicy') : at('KubeAuditPolicyConfig', 'configuration'));
  if (c.encryptedResources?.length) out.push(v13 ? at('v1alpha1', 'cluster', 'secretboxEncryptionSecret') : at('KubeEtcdEncryptionConfig', 'config'));
  if (c.authentication)
    out.push(
      ...(v13
        ? [at('v1alpha1', 'machine', 'files', { key: 'path', value: `${AUTHN_HOST_DIR}/${AUTHN_FILE}` }), at('v1alpha1', 'cluster', 'apiServer', 'extraArgs', 'authentication-config')]
        : [at('KubeAuthenticationConfig', 'configuration')]),
    );
  if (c.adminKubeconfigCertLifetime) out.push(at('v1alpha1', 'cluster', 'adminKubeconfig', 'certLifetime'));
  for (const m of c.inlineManifests ?? []) out.push(v13 ? at('v1alpha1', 'cluster', 'inlineManifests', { key: 'name', value: m.name }) : at(`KubeInlineManifestConfig/${m.name}`, 'manifest'));
  if (c.kubeNetworkPolicies) out.push(v13 ? at('v1alpha1', 'cluster', 'network', 'cni') : at('KubeFlannelCNIConfig', 'kubeNetworkPoliciesEnabled'));
  return out;
}

/** The places of this node's config that a control's contribution (and its own ownsPaths) put there. */
export function ownedPaths(decision: ControlDecision, contribution: Contribution, ctx: ControlContext, node: NodeConfig): ConfigPath[] {
  const contract = ctx.stack.cluster.contract;
  const out: ConfigPath[] = [];
  if (contribution.machine) out.push(...machinePaths(contribution.machine, contract));
  for (const n of contribution.nodes ?? []) if (n.match(node)) out.push(...machinePaths(n.machine, contract));
  if (contribution.controlPlane) out.push(...controlPlanePaths(contribution.controlPlane, contract, node.role === 'controlplane'));
  out.push(...(decision.control.ownsPaths?.(ctx, node) ?? []));
  // and what the CIS checks it cites read, Talos's defaults included (core/cis/owned.ts)
  out.push(...cisOwnedPaths(decision.control, contract, node.role));
  const seen = new Set<string>();
  return out.filter((p) => !seen.has(printPath(p)) && !!seen.add(printPath(p)));
}

export const printPath = (p: ConfigPath): string =>
  `${p.doc}${p.path.length ? ' ' : ''}${p.path.map((s, i) => (typeof s === 'string' ? (/^[A-Za-z_][\w-]*$/.test(s) ? `${i ? '.' : ''}${s}` : `[${JSON.stringify(s)}]`) : `[${s.key}=${s.value}]`)).join('')}`;

/** A node's documents by label, once per document list (a list is not changed once patched): owned paths are many. */
const labelled = new WeakMap<Doc[], Map<string, Doc>>();
function byLabel(docs: Doc[]): Map<string, Doc> {
  let m = labelled.get(docs);
  if (!m) {
    m = new Map();
    for (const d of docs) if (!m.has(documentLabel(d))) m.set(documentLabel(d), d); // the first, as find() would
    labelled.set(docs, m);
  }
  return m;
}

function valueAt(docs: Doc[], p: ConfigPath): unknown {
  // `Kind/*`: every document of the kind, by name (a patch adding one changes the value too)
  const kind = p.doc.endsWith('/*') ? p.doc.slice(0, -1) : undefined;
  let cur: unknown = kind
    ? docs.filter((d) => documentLabel(d).startsWith(kind)).sort((a, b) => (documentLabel(a) < documentLabel(b) ? -1 : 1))
    : byLabel(docs).get(p.doc);
  for (const s of p.path) {
    if (cur === undefined || cur === null || typeof cur !== 'object') return undefined;
    cur = typeof s === 'string' ? (cur as Record<string, unknown>)[s] : Array.isArray(cur) ? cur.find((e) => e && typeof e === 'object' && String(e[s.key]) === s.value) : undefined;
  }
  return cur;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return v === undefined ? 'undefined' : JSON.stringify(v);
}

export interface NodePatch {
  /** Where it was written, e.g. bulwark:patches.all[0] */
  where: string;
  patch: ConfigPatch;
}

export interface PatchEffect {
  control: string;
  node: string;
  path: string;
  /** The patch that last changed the value. */
  patch: string;
}

export interface PatchedNode {
  docs: Doc[];
  effects: PatchEffect[];
  /** Patches Talos's semantics refuse (a delete of nothing, a type mismatch, a failed JSON patch op). */
  problems: { where: string; message: string }[];
}

/** Applies a node's patches in order and says which configured controls they undo there. */
export function patchNode(
  docs: Doc[], patches: NodePatch[], owned: { control: string; path: ConfigPath }[], node: string, line: Contract,
): PatchedNode {
  if (!patches.length) return { docs, effects: [], problems: [] };
  const rendered = owned.map((o) => canonical(valueAt(docs, o.path)));
  const lastChange = new Map<number, string>();
  const problems: PatchedNode['problems'] = [];
  let cur = docs;
  for (const p of patches) {
    let next: Doc[];
    try {
      next = applyConfigPatch(cur, p.patch, line);
    } catch (e) {
      if (!(e instanceof PatchError)) throw e;
      problems.push({ where: p.where, message: `cannot be applied to node ${node}: ${e.message}` });
      continue;
    }
    owned.forEach((o, i) => {
      if (canonical(valueAt(next, o.path)) !== canonical(valueAt(cur, o.path))) lastChange.set(i, p.where);
    });
    cur = next;
  }
  const effects: PatchEffect[] = [];
  owned.forEach((o, i) => {
    if (canonical(valueAt(cur, o.path)) !== rendered[i]) effects.push({ control: o.control, node, path: printPath(o.path), patch: lastChange.get(i)! });
  });
  return { docs: cur, effects, problems };
}

/**
 * The decisions as the patched configuration supports them: a configured control that a patch changed
 * on some node is no longer "enforced"; the unmet link names the patch, the path and the nodes.
 */
export function decisionsAfterPatches(decisions: ControlDecision[], effects: PatchEffect[]): ControlDecision[] {
  if (!effects.length) return decisions;
  return decisions.map((d) => {
    const mine = effects.filter((e) => e.control === d.control.id);
    if (!mine.length || (d.status.state !== 'enforced' && d.status.state !== 'depends')) return d;
    const groups = new Map<string, { nodes: string[] }>();
    for (const e of mine) {
      const key = `${e.patch} changes ${e.path}`;
      const g = groups.get(key) ?? { nodes: [] };
      if (!g.nodes.includes(e.node)) g.nodes.push(e.node);
      groups.set(key, g);
    }
    const detail = [...groups].map(([k, g]) => `${k} on ${g.nodes.join(', ')}`).join('; ');
    return {
      control: d.control,
      status: { state: 'depends', dependencies: [...d.status.dependencies, { what: 'its settings as Bulwark rendered them, not changed by a config patch', met: false, detail }] },
    };
  });
}
