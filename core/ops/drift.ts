/**
 * Drift: the live cluster against what the stack renders, told in posture terms (which control a
 * change weakens). Pure: the live objects and machine configurations come in as data
 * (core/ops/drift-read.ts reads them). Values are never copied into a finding, only paths: a
 * machine configuration holds CA keys, and a finding goes to CI logs.
 *
 * What counts as drift:
 * - a rendered object that is missing, or that differs from the rendered one: its rendered fields
 *   must be there with the same values, and nothing else may be there but what the API server
 *   itself adds. What it adds comes from the API server: the rendered object created with
 *   dryRun=All (under a generated name) is the object as that server defaults it, compared whole
 *   with the live one (status, server-set metadata and the name label aside);
 * - objects Bulwark does not render that weaken one of its controls: a binding to an
 *   admin-equivalent role (cluster-admin, or any role granting every verb on every resource), and
 *   in a tenant namespace without NetworkPolicy self-service, any NetworkPolicy (policies add up,
 *   so one more widens what default-deny allows);
 * - a node's machine configuration that differs from the rendered one (paths attributed to the
 *   controls that set them: core/ops/drift-attribution.ts).
 */
import { parseAllDocuments } from 'yaml';
import type { Control } from '../controls/types';
import type { ControlDecision } from '../controls/resolve';
import { K8sObject, TENANT_LABEL, objectKey } from '../render/k8s';

export type DriftChange = 'changed' | 'missing' | 'added';

export interface DriftFinding {
  /** The control the change weakens ("unattributed" when no control of the catalogue set the path). */
  control: string;
  title: string;
  /** The control's status in this stack (enforced, waived, …; "none" when unattributed). */
  status: string;
  /** Kind/namespace/name, or node/<name> for a machine configuration. */
  object: string;
  change: DriftChange;
  /** Paths that differ (never values). */
  paths: string[];
  /** One sentence: what is weakened by what. */
  weakens: string;
}

export interface DriftReport {
  stack: string;
  findings: DriftFinding[];
  checked: { objects: number; nodes: number };
  /** What could not be read (and so was not compared), with why. */
  unread: string[];
}

export interface LiveObject {
  live: Record<string, unknown>;
  /** The rendered object as this API server defaults it (dry-run create); absent when it could not be had. */
  defaulted?: Record<string, unknown>;
}

export interface LiveCluster {
  /** objectKey → the live object, or null when the API server answered 404. */
  objects: Map<string, LiveObject | null>;
  bindings: Record<string, unknown>[];
  roles: Record<string, unknown>[];
  networkPolicies: Record<string, unknown>[];
}

export interface Tenancy { name: string; selfService: boolean }

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const seg = (k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);

/** Paths where `want` is not present in `have` with the same value (lists: same length, element-wise). */
export function subsetDiff(want: unknown, have: unknown, path = ''): string[] {
  if (Array.isArray(want)) {
    if (!Array.isArray(have) || have.length !== want.length) return [path || '.'];
    return want.flatMap((w, i) => subsetDiff(w, have[i], `${path}[${i}]`));
  }
  if (isObj(want)) {
    if (!isObj(have)) return [path || '.'];
    return Object.keys(want).flatMap((k) => subsetDiff(want[k], have[k], `${path}${seg(k)}`));
  }
  return want === have ? [] : [path || '.'];
}

/** Paths where two documents differ either way (machine configurations: the whole document is Bulwark's). */
export function fullDiff(a: unknown, b: unknown, path = ''): string[] {
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.flatMap((x, i) => fullDiff(x, b[i], `${path}[${i}]`));
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => fullDiff(a[k], b[k], `${path}${seg(k)}`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path || '.'];
}

/** What of an object is compared: identity, labels and annotations, and everything outside metadata. */
function comparable(o: K8sObject): Obj {
  const { metadata, ...rest } = o;
  const m: Obj = { name: metadata.name };
  if (metadata.namespace) m.namespace = metadata.namespace;
  if (metadata.labels) m.labels = metadata.labels;
  if (metadata.annotations) m.annotations = metadata.annotations;
  return { ...rest, metadata: m };
}

/** Everything of an object but status and what the server sets in metadata (labels, annotations kept). */
function content(o: Obj): Obj {
  const { metadata, status: _status, ...rest } = o;
  const md = (metadata ?? {}) as Obj;
  const labels = { ...((md.labels ?? {}) as Record<string, string>) };
  delete labels['kubernetes.io/metadata.name']; // the API server sets it to the name (generated in the dry run)
  return { ...rest, metadata: { labels } };
}

/** Paths where the live object is not the rendered one. */
export function liveObjectDiff(rendered: K8sObject, obj: LiveObject): string[] {
  const paths = new Set(subsetDiff(comparable(rendered), obj.live));
  if (obj.defaulted) for (const p of fullDiff(content(obj.defaulted), content(obj.live))) paths.add(p);
  return [...paths].sort();
}

export class ControlIndex {
  private readonly byId: Map<string, Control>;
  private readonly statusOf: Map<string, string>;
  constructor(catalogue: readonly Control[], decisions: readonly ControlDecision[]) {
    this.byId = new Map(catalogue.map((c) => [c.id, c]));
    this.statusOf = new Map(decisions.map((d) => [d.control.id, d.status.state]));
  }
  finding(control: string, f: Omit<DriftFinding, 'control' | 'title' | 'status' | 'weakens'>, why: string): DriftFinding {
    const c = this.byId.get(control);
    const title = c?.title ?? 'no Bulwark control sets this';
    return { control, title, status: c ? (this.statusOf.get(control) ?? 'unknown') : 'none', ...f, weakens: `${c ? title : 'unattributed'}: weakened by ${why}` };
  }
}

/** A rendered object and the control whose contribution it is (core/render/plan.ts). */
export interface Expected { object: K8sObject; control: string }

/** Controls of the admission-policy bindings that select namespaces by the tenant label. */
function tenantLabelControls(expected: readonly Expected[]): string[] {
  const out = expected
    .filter(({ object: o }) => o.kind === 'ValidatingAdmissionPolicyBinding' && JSON.stringify((o.spec as Obj | undefined)?.matchResources ?? {}).includes(JSON.stringify(TENANT_LABEL)))
    .map((e) => e.control);
  return [...new Set(out)].sort();
}

const ADMIN_ROLE = 'cluster-admin';
/** The upstream bootstrap grant: system:masters is admin by the authorizer anyway. */
const isUpstreamMastersBinding = (b: Obj) => {
  const md = b.metadata as Obj;
  const subjects = (b.subjects ?? []) as Obj[];
  return b.kind === 'ClusterRoleBinding' && md.name === ADMIN_ROLE && subjects.length === 1 && subjects[0].kind === 'Group' && subjects[0].name === 'system:masters';
};

function grantsEverything(role: Obj | undefined): boolean {
  const rules = (role?.rules ?? []) as Obj[];
  return rules.some((r) => ((r.verbs ?? []) as string[]).includes('*') && ((r.resources ?? []) as string[]).includes('*'));
}

function liveKey(o: Obj): string {
  const md = o.metadata as { name: string; namespace?: string };
  return `${o.kind as string}/${md.namespace ? `${md.namespace}/` : ''}${md.name}`;
}

export function objectDrift(expected: readonly Expected[], live: LiveCluster, tenants: readonly Tenancy[], idx: ControlIndex): DriftFinding[] {
  const findings: DriftFinding[] = [];
  const labelControls = tenantLabelControls(expected);
  for (const { object: o, control } of expected) {
    const key = objectKey(o);
    const have = live.objects.get(key);
    if (have === undefined) continue; // not read: listed in the report's unread
    if (have === null) {
      findings.push(idx.finding(control, { object: key, change: 'missing', paths: [] }, `${key} deleted from the cluster`));
      continue;
    }
    const paths = liveObjectDiff(o, have);
    if (!paths.length) continue;
    findings.push(idx.finding(control, { object: key, change: 'changed', paths }, `${key} changed at ${paths.join(', ')}`));
    const label = `.metadata.labels[${JSON.stringify(TENANT_LABEL)}]`;
    if (o.kind === 'Namespace' && paths.some((p) => p === label || p === '.metadata.labels'))
      for (const c of labelControls) findings.push(idx.finding(c, { object: key, change: 'changed', paths: [label] }, `${key} no longer carries ${TENANT_LABEL}=${o.metadata.labels?.[TENANT_LABEL]}, which this policy's binding selects on`));
  }

  // Grants Bulwark did not render.
  const rendered = new Set(expected.map((e) => objectKey(e.object)));
  const roles = new Map(live.roles.map((r) => [liveKey(r), r]));
  const tenantNames = new Set(tenants.map((t) => t.name));
  for (const b of live.bindings) {
    const key = liveKey(b);
    if (rendered.has(key) || isUpstreamMastersBinding(b)) continue;
    const ref = b.roleRef as { kind: string; name: string };
    const ns = (b.metadata as Obj).namespace as string | undefined;
    const role = roles.get(ref.kind === 'ClusterRole' ? `ClusterRole/${ref.name}` : `Role/${ns}/${ref.name}`);
    if (ref.name !== ADMIN_ROLE && !grantsEverything(role)) continue;
    const control = ns && tenantNames.has(ns) ? 'tenancy.rbac.tenant-admin' : 'auth.breakglass.short-lived-admin';
    const what = ref.name === ADMIN_ROLE ? ADMIN_ROLE : `${ref.kind}/${ref.name} (every verb on every resource)`;
    findings.push(idx.finding(control, { object: key, change: 'added', paths: ['.roleRef', '.subjects'] }, `${key} granting ${what} outside what the stack renders`));
  }
  for (const np of live.networkPolicies) {
    const key = liveKey(np);
    const ns = (np.metadata as Obj).namespace as string;
    const tenant = tenants.find((t) => t.name === ns);
    if (rendered.has(key) || !tenant || tenant.selfService) continue;
    findings.push(idx.finding('tenancy.network.default-deny', { object: key, change: 'added', paths: ['.spec'] }, `${key}, a NetworkPolicy the stack does not render (policies add up: it widens what default-deny allows)`));
  }
  return findings;
}

/** The documents of a machine configuration, keyed by kind (and name, for named documents). */
export function machineDocuments(yaml: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const d of parseAllDocuments(yaml)) {
    const v = d.toJS() as Obj | null;
    if (!v) continue;
    const kind = (v.kind as string | undefined) ?? (v.version === 'v1alpha1' ? 'v1alpha1' : 'unknown');
    out.set(v.name ? `${kind}/${v.name as string}` : kind, v);
  }
  return out;
}

/** Paths (prefixed by document) where the live machine configuration differs from the rendered one. */
export function machineConfigDiff(rendered: string, live: string): string[] {
  const a = machineDocuments(rendered);
  const b = machineDocuments(live);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys.flatMap((k) => fullDiff(a.get(k), b.get(k)).map((p) => `${k}${p === '.' ? '' : p}`));
}

/** True when `p` and `q` are the same path or one lies inside the other. */
export const overlaps = (p: string, q: string) => p === q || p.startsWith(`${q}.`) || p.startsWith(`${q}[`) || q.startsWith(`${p}.`) || q.startsWith(`${p}[`);

/** Findings for one node: each differing path under the controls whose contribution sets it. */
export function machineDrift(node: string, paths: string[], owners: Map<string, string[]>, idx: ControlIndex): DriftFinding[] {
  const byControl = new Map<string, string[]>();
  for (const p of paths) {
    const controls = [...owners].filter(([, owned]) => owned.some((q) => overlaps(p, q))).map(([c]) => c);
    for (const c of controls.length ? controls : ['unattributed']) byControl.set(c, [...(byControl.get(c) ?? []), p]);
  }
  return [...byControl].sort(([a], [b]) => a.localeCompare(b)).map(([c, ps]) =>
    idx.finding(c, { object: `node/${node}`, change: 'changed', paths: ps }, `node ${node}'s machine configuration differing at ${ps.join(', ')}`));
}

/** "no drift" only when everything was read; otherwise what was left out is said first (exit 4, not 0). */
function unreadVerdict(r: DriftReport): string {
  const missed = r.unread.filter((u) => !u.endsWith('(--no-nodes)')).length;
  return missed ? `no drift in what was read, but ${missed} read(s) failed (below): not a clean result` : 'no drift';
}

export function driftMarkdown(r: DriftReport): string {
  const lines = [`# Drift: ${r.stack}`, '', `Compared ${r.checked.objects} objects and ${r.checked.nodes} machine configurations: ${r.findings.length ? `${r.findings.length} findings` : unreadVerdict(r)}.`, ''];
  for (const f of r.findings) lines.push(`- **${f.control}** (${f.status}) ${f.change} ${f.object}: ${f.weakens}`);
  if (r.unread.length) lines.push('', 'Not read (not compared):', ...r.unread.map((u) => `- ${u}`));
  return `${lines.join('\n')}\n`;
}
