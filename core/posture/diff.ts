/**
 * What a change does to a cluster's security posture: two sets of posture reports (base and
 * head, one per stack) in, the differences out, as JSON for machines and as Markdown ready to
 * post as a pull-request comment. Pure: no files, no git, no clock. Both sides are posture
 * reports, which carry no secret material, and nothing else goes in.
 */
import type { CisVerdict } from '../cis/report';
import type { ConfigProblem } from '../config/errors';
import type { PostureControl, PostureReport } from './report';

/** One stack on one side: its posture, or why it does not render. Absent from the map = no such stack. */
export type StackSide =
  | {
      state: 'ok';
      posture: PostureReport;
      /** What each node would run (absent: not known, e.g. existing-cluster mode). */
      nodes?: NodeFacts[];
      /** Mandatory policy violations of this side (the policy pack's environment minimum). */
      policy?: string[];
    }
  | { state: 'invalid'; problems: ConfigProblem[] }
  | { state: 'error'; message: string };

export type ControlStatus = PostureControl['status'];

/** A node as a change reaches it: digests name a change without revealing it (core/talos/reboot.ts). */
export interface NodeFacts {
  name: string;
  installer: string;
  schematicId: string;
  /** Hash of the fields whose change needs a reboot, or `live` on lines that never reboot for one. */
  rebootDigest: string;
  /** Hash of the whole machine configuration. */
  configDigest: string;
}

/**
 * upgrade-reboot: a new installer or schematic (talosctl upgrade, the node reboots into it) ·
 * reboot: the configuration changes a field Talos applies only on reboot · live-apply: the
 * configuration changes, applied without a reboot · added / removed: the node is new or gone.
 */
export type NodeConsequence = 'upgrade-reboot' | 'reboot' | 'live-apply' | 'added' | 'removed';

export interface NodeChange {
  node: string;
  consequence: NodeConsequence;
  installer?: { from: string; to: string };
}

/**
 * failing: the head does not render (validation or render error) · added / removed: the stack
 * exists on one side only · fixed: the base did not render, the head does · weaker / stronger /
 * mixed: controls or CIS results moved out of / into force (or both) · changed: something else
 * reviewers should see (profile, versions, tenants, waiver wording) · unchanged.
 */
export type StackVerdict = 'failing' | 'weaker' | 'mixed' | 'stronger' | 'changed' | 'added' | 'removed' | 'fixed' | 'unchanged';
export const VERDICT_ORDER: StackVerdict[] = ['failing', 'weaker', 'mixed', 'stronger', 'changed', 'added', 'removed', 'fixed', 'unchanged'];

export type SideSummary =
  | {
      state: 'ok';
      profile: string;
      site: string;
      talosVersion: string;
      kubernetesVersion: string;
      contract: string;
      controls: PostureReport['summary'];
      cisEvaluated: boolean;
      tenants: number;
    }
  | { state: 'invalid' | 'error' };

export interface SettingChange {
  setting: 'profile' | 'site' | 'talosVersion' | 'kubernetesVersion' | 'contract';
  from: string | null;
  to: string | null;
}

export interface ControlChange {
  control: string;
  layer: string;
  title: string;
  from: ControlStatus | null;
  to: ControlStatus | null;
  /** now-enforced: `to` is enforced · no-longer-enforced: `from` was · status-changed: neither. */
  change: 'now-enforced' | 'no-longer-enforced' | 'status-changed';
}

export interface WaiverInfo {
  control: string;
  layer: string;
  /** `stack` or `profile <name>`. */
  by: string;
  reason: string;
  expires: string | null;
}

export interface CisChange {
  check: string;
  text: string;
  from: CisVerdict | null;
  to: CisVerdict | null;
}

export interface StackFailure {
  side: 'base' | 'head';
  /** render: the stack does not validate or render · policy: it breaks a mandatory policy (e.g. the production minimum). */
  kind: 'render' | 'policy';
  problems: ConfigProblem[];
}

export interface StackDiff {
  stack: string;
  verdict: StackVerdict;
  base: SideSummary | null;
  head: SideSummary | null;
  failures: StackFailure[];
  settings: SettingChange[];
  controls: ControlChange[];
  waivers: { added: WaiverInfo[]; removed: WaiverInfo[]; changed: { control: string; from: WaiverInfo; to: WaiverInfo }[] };
  cis: CisChange[];
  tenants: { added: string[]; removed: string[] };
  /** Nodes the change reaches, and how (empty when neither side knows its nodes). */
  nodes: NodeChange[];
}

export interface PostureDiff {
  base: string;
  head: string;
  summary: Partial<Record<StackVerdict, number>> & { stacks: number };
  stacks: StackDiff[];
}

const SETTINGS: SettingChange['setting'][] = ['profile', 'site', 'talosVersion', 'kubernetesVersion', 'contract'];
const GOOD_CIS: CisVerdict[] = ['pass', 'pass-by-evidence', 'talos-exception'];
const BAD_CIS: CisVerdict[] = ['fail', 'waived'];

function summarise(side: StackSide | undefined): SideSummary | null {
  if (!side) return null;
  if (side.state !== 'ok') return { state: side.state };
  const p = side.posture;
  return {
    state: 'ok',
    profile: p.profile,
    site: p.site,
    talosVersion: p.talosVersion,
    kubernetesVersion: p.kubernetesVersion,
    contract: p.contract,
    controls: { ...p.summary },
    cisEvaluated: p.cis.evaluated,
    tenants: p.tenants.length,
  };
}

function failure(side: 'base' | 'head', s: StackSide | undefined): StackFailure[] {
  if (!s) return [];
  if (s.state === 'ok') return s.policy?.length ? [{ side, kind: 'policy', problems: s.policy.map((message) => ({ path: 'bulwark:operations.environment', message })) }] : [];
  return [{ side, kind: 'render', problems: s.state === 'invalid' ? s.problems.map((p) => ({ path: p.path, message: p.message })) : [{ path: 'render', message: s.message }] }];
}

/** How a change reaches each node: upgrade and reboot, reboot, live apply; unchanged nodes are left out. */
export function diffNodes(a: NodeFacts[] | undefined, b: NodeFacts[] | undefined): NodeChange[] {
  if (!a || !b) return [];
  const before = new Map(a.map((n) => [n.name, n]));
  const after = new Set(b.map((n) => n.name));
  const out: NodeChange[] = [];
  for (const n of b) {
    const x = before.get(n.name);
    if (!x) out.push({ node: n.name, consequence: 'added' });
    else if (x.installer !== n.installer || x.schematicId !== n.schematicId) out.push({ node: n.name, consequence: 'upgrade-reboot', installer: { from: x.installer, to: n.installer } });
    else if (x.rebootDigest !== n.rebootDigest) out.push({ node: n.name, consequence: 'reboot' });
    else if (x.configDigest !== n.configDigest) out.push({ node: n.name, consequence: 'live-apply' });
  }
  for (const x of a) if (!after.has(x.name)) out.push({ node: x.name, consequence: 'removed' });
  return out;
}

function waivers(p: PostureReport | undefined): Map<string, WaiverInfo> {
  const out = new Map<string, WaiverInfo>();
  for (const c of p?.controls ?? [])
    if (c.status === 'waived') out.set(c.id, { control: c.id, layer: c.layer, by: c.by ?? '', reason: c.reason ?? '', expires: c.expires ?? null });
  return out;
}

function diffControls(a: PostureReport | undefined, b: PostureReport | undefined): ControlChange[] {
  if (!a || !b) return [];
  const before = new Map(a.controls.map((c) => [c.id, c]));
  const after = new Map(b.controls.map((c) => [c.id, c]));
  const ids = [...b.controls.map((c) => c.id), ...a.controls.map((c) => c.id).filter((id) => !after.has(id))];
  const out: ControlChange[] = [];
  for (const id of ids) {
    const x = before.get(id);
    const y = after.get(id);
    const from = x?.status ?? null;
    const to = y?.status ?? null;
    if (from === to) continue;
    const c = (y ?? x)!;
    out.push({
      control: id,
      layer: c.layer,
      title: c.title,
      from,
      to,
      change: to === 'enforced' ? 'now-enforced' : from === 'enforced' ? 'no-longer-enforced' : 'status-changed',
    });
  }
  return out;
}

function diffCis(a: PostureReport | undefined, b: PostureReport | undefined): CisChange[] {
  if (!a || !b || !a.cis.evaluated || !b.cis.evaluated) return [];
  const before = new Map(a.cis.results.map((r) => [r.id, r]));
  const after = new Map(b.cis.results.map((r) => [r.id, r]));
  const ids = [...b.cis.results.map((r) => r.id), ...a.cis.results.map((r) => r.id).filter((id) => !after.has(id))];
  const out: CisChange[] = [];
  for (const id of ids) {
    const from = before.get(id)?.verdict ?? null;
    const to = after.get(id)?.verdict ?? null;
    if (from !== to) out.push({ check: id, text: (after.get(id) ?? before.get(id))!.text, from, to });
  }
  return out;
}

const sameWaiver = (x: WaiverInfo, y: WaiverInfo) => x.by === y.by && x.reason === y.reason && x.expires === y.expires;

/** Later (or no) expiry is a longer waiver. */
const longer = (from: WaiverInfo, to: WaiverInfo) => from.expires !== null && (to.expires === null || to.expires > from.expires);

export function diffStack(stack: string, baseSide: StackSide | undefined, headSide: StackSide | undefined): StackDiff {
  const a = baseSide?.state === 'ok' ? baseSide.posture : undefined;
  const b = headSide?.state === 'ok' ? headSide.posture : undefined;
  const wa = waivers(a);
  const wb = waivers(b);
  const ta = new Set(a?.tenants ?? []);
  const tb = new Set(b?.tenants ?? []);
  const d: StackDiff = {
    stack,
    verdict: 'unchanged',
    base: summarise(baseSide),
    head: summarise(headSide),
    failures: [...failure('base', baseSide), ...failure('head', headSide)],
    settings: a || b ? SETTINGS.map((s) => ({ setting: s, from: a ? a[s] : null, to: b ? b[s] : null })).filter((s) => s.from !== s.to) : [],
    controls: diffControls(a, b),
    waivers: {
      added: [...wb.values()].filter((w) => !wa.has(w.control)),
      removed: [...wa.values()].filter((w) => !wb.has(w.control)),
      changed: [...wb.values()].filter((w) => wa.has(w.control) && !sameWaiver(wa.get(w.control)!, w)).map((w) => ({ control: w.control, from: wa.get(w.control)!, to: w })),
    },
    cis: diffCis(a, b),
    tenants: { added: [...tb].filter((t) => !ta.has(t)), removed: [...ta].filter((t) => !tb.has(t)) },
    nodes: diffNodes(baseSide?.state === 'ok' ? baseSide.nodes : undefined, headSide?.state === 'ok' ? headSide.nodes : undefined),
  };
  d.verdict = verdictOf(d, baseSide, headSide);
  return d;
}

function verdictOf(d: StackDiff, baseSide: StackSide | undefined, headSide: StackSide | undefined): StackVerdict {
  if (headSide && (headSide.state !== 'ok' || headSide.policy?.length)) return 'failing';
  if (!baseSide) return 'added';
  if (!headSide) return 'removed';
  if (baseSide.state !== 'ok' || baseSide.policy?.length) return 'fixed';
  const weaker =
    d.controls.some((c) => c.change === 'no-longer-enforced') ||
    d.cis.some((c) => !BAD_CIS.includes(c.from!) && BAD_CIS.includes(c.to!)) ||
    d.waivers.changed.some((w) => longer(w.from, w.to));
  const stronger =
    d.controls.some((c) => c.change === 'now-enforced') ||
    d.cis.some((c) => BAD_CIS.includes(c.from!) && GOOD_CIS.includes(c.to!)) ||
    d.waivers.changed.some((w) => longer(w.to, w.from));
  if (weaker && stronger) return 'mixed';
  if (weaker) return 'weaker';
  if (stronger) return 'stronger';
  const any = d.settings.length + d.controls.length + d.cis.length + d.tenants.added.length + d.tenants.removed.length +
    d.waivers.added.length + d.waivers.removed.length + d.waivers.changed.length + d.nodes.length;
  return any ? 'changed' : 'unchanged';
}

/**
 * Diffs every stack on either side (or only `stacks`, in the order given). Stacks are listed
 * with the ones reviewers must look at first: failing, weaker, mixed, ... unchanged.
 */
export function diffPosture(
  base: ReadonlyMap<string, StackSide>,
  head: ReadonlyMap<string, StackSide>,
  labels: { base: string; head: string },
  stacks?: string[],
): PostureDiff {
  const names = stacks ?? [...new Set([...base.keys(), ...head.keys()])].sort();
  const diffs = names.map((n) => diffStack(n, base.get(n), head.get(n)));
  diffs.sort((x, y) => VERDICT_ORDER.indexOf(x.verdict) - VERDICT_ORDER.indexOf(y.verdict) || x.stack.localeCompare(y.stack));
  const summary: PostureDiff['summary'] = { stacks: diffs.length };
  for (const v of VERDICT_ORDER) {
    const n = diffs.filter((d) => d.verdict === v).length;
    if (n) summary[v] = n;
  }
  return { base: labels.base, head: labels.head, summary, stacks: diffs };
}

// ---------------------------------------------------------------------------------------------
// Markdown

/** User text in a table cell or list item: no table breaks, no HTML (a reason cannot fake the comment marker). */
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

const SETTING_LABEL: Record<SettingChange['setting'], string> = {
  profile: 'Profile',
  site: 'Site',
  talosVersion: 'Talos',
  kubernetesVersion: 'Kubernetes',
  contract: 'Machine-config contract',
};

const HEADLINE: Record<StackVerdict, string> = {
  failing: 'fails',
  weaker: 'weaker',
  mixed: 'weaker in parts, stronger in others',
  stronger: 'stronger',
  changed: 'changed',
  added: 'new stack',
  removed: 'removed',
  fixed: 'renders again',
  unchanged: 'unchanged',
};

function countsLine(a: PostureReport['summary'] | undefined, b: PostureReport['summary']): string {
  // A base posture written before a count existed reads as 0 of it.
  const part = (k: keyof PostureReport['summary'], label: string) => (a && (a[k] ?? 0) !== (b[k] ?? 0) ? `${a[k] ?? 0} → ${b[k] ?? 0} ${label}` : `${b[k] ?? 0} ${label}`);
  // The two counts of withheld claims are shown whenever either side has one.
  const shown = (k: 'depends' | 'notApplied') => (a?.[k] ?? 0) + (b[k] ?? 0) > 0;
  return [
    part('enforced', 'enforced'),
    ...(shown('depends') ? [part('depends', 'depending on what the stack does not configure')] : []),
    ...(shown('notApplied') ? [part('notApplied', 'not applied')] : []),
    part('waived', 'waived'), part('notRequired', 'not required'), part('notApplicable', 'not applicable'),
  ].join(', ');
}

const status = (s: ControlStatus | null) => s ?? '(absent)';
const verdict = (s: CisVerdict | null) => s ?? '(absent)';

function waiverLine(w: WaiverInfo): string {
  return `- ${code(w.control)} (${w.layer}), by ${esc(w.by)}, ${w.expires ? `expires ${w.expires}` : 'no expiry'}: ${esc(w.reason)}`;
}

function stackMarkdown(d: StackDiff): string[] {
  const L: string[] = [];
  const failing = d.failures.map((f) => f.side);
  const headline = d.verdict === 'failing' ? `fails at ${failing.join(' and ')}` : HEADLINE[d.verdict];
  L.push(`### ${code(d.stack)}: ${headline}`, '');

  const headFail = d.failures.find((f) => f.side === 'head');
  if (headFail) {
    L.push(
      headFail.kind === 'policy'
        ? 'The head revision of this stack breaks a mandatory rule of the policy pack, so `pulumi preview` and `pulumi up` stop on it:'
        : 'The head revision of this stack does not render, so `pulumi preview` and `pulumi up` stop on it:',
      '',
    );
    for (const p of headFail.problems) L.push(`- ${code(p.path)}: ${esc(p.message)}`);
    return L;
  }
  const a = d.base?.state === 'ok' ? d.base : undefined;
  const b = d.head?.state === 'ok' ? d.head : undefined;
  if (d.verdict === 'removed') {
    L.push(a ? `The stack file is gone. It was profile ${a.profile} (site ${a.site}): ${countsLine(undefined, a.controls)}.` : 'The stack file is gone (it did not render at base).');
    return L;
  }
  if (d.verdict === 'fixed')
    L.push(d.failures.some((f) => f.side === 'base' && f.kind === 'policy') ? 'The base revision of this stack broke a mandatory rule of the policy pack; this is its posture at head.' : 'The base revision of this stack did not render; this is its posture at head.', '');
  if (b && (d.verdict === 'added' || d.verdict === 'fixed')) {
    L.push(`- Profile ${b.profile} (site ${b.site}) · Talos ${b.talosVersion} (contract ${b.contract}) · Kubernetes ${b.kubernetesVersion}`);
  } else {
    for (const s of d.settings) L.push(`- ${SETTING_LABEL[s.setting]}: ${s.from ?? '(none)'} → ${s.to ?? '(none)'}`);
  }
  if (b) L.push(`- Controls: ${countsLine(d.verdict === 'added' || d.verdict === 'fixed' ? undefined : a?.controls, b.controls)}`);

  const table = (title: string, rows: ControlChange[]) => {
    if (!rows.length) return;
    L.push('', `**${title} (${rows.length})**`, '', '| Control | Layer | Before | After | Title |', '|---|---|---|---|---|');
    for (const c of rows) L.push(`| ${code(c.control)} | ${c.layer} | ${status(c.from)} | ${status(c.to)} | ${esc(c.title)} |`);
  };
  table('No longer enforced', d.controls.filter((c) => c.change === 'no-longer-enforced'));
  table('Newly enforced', d.controls.filter((c) => c.change === 'now-enforced'));
  table('Other status changes', d.controls.filter((c) => c.change === 'status-changed'));

  if (d.waivers.added.length) {
    L.push('', `**Newly waived (${d.waivers.added.length})**`, '');
    for (const w of d.waivers.added) L.push(waiverLine(w));
  }
  if (d.waivers.changed.length) {
    L.push('', `**Waivers changed (${d.waivers.changed.length})**`, '');
    for (const { control, from, to } of d.waivers.changed) {
      const parts: string[] = [];
      if (from.by !== to.by) parts.push(`by ${esc(from.by)} → ${esc(to.by)}`);
      if (from.expires !== to.expires) parts.push(`expiry ${from.expires ?? 'none'} → ${to.expires ?? 'none'}`);
      if (from.reason !== to.reason) parts.push(`reason "${esc(from.reason)}" → "${esc(to.reason)}"`);
      L.push(`- ${code(control)}: ${parts.join('; ')}`);
    }
  }
  if (d.waivers.removed.length) {
    L.push('', `**Waivers lifted (${d.waivers.removed.length})**`, '');
    for (const w of d.waivers.removed) L.push(`- ${code(w.control)} (${w.layer}), was waived by ${esc(w.by)}: ${esc(w.reason)}`);
  }
  if (d.cis.length) {
    L.push('', `**CIS Kubernetes Benchmark 1.12 (${d.cis.length} changed)**`, '', '| Check | Before | After | Text |', '|---|---|---|---|');
    for (const c of d.cis) L.push(`| ${c.check} | ${verdict(c.from)} | ${verdict(c.to)} | ${esc(c.text)} |`);
  }
  const t: string[] = [];
  if (d.tenants.added.length) t.push(`added ${d.tenants.added.map(code).join(', ')}`);
  if (d.tenants.removed.length) t.push(`removed ${d.tenants.removed.map(code).join(', ')}`);
  if (t.length) L.push('', `**Tenants:** ${t.join('; ')}`);
  if (d.nodes.length) {
    L.push('', `**Nodes (${d.nodes.length})**`, '');
    for (const [c, label] of NODE_LABELS) {
      const names = d.nodes.filter((n) => n.consequence === c).map((n) => code(n.node));
      if (names.length) L.push(`- ${label}: ${names.join(', ')}`);
    }
  }
  return L;
}

const NODE_LABELS: [NodeConsequence, string][] = [
  ['upgrade-reboot', 'new installer or schematic (upgrade and reboot)'],
  ['reboot', 'configuration change that needs a reboot'],
  ['live-apply', 'configuration change applied live (no reboot)'],
  ['added', 'new node'],
  ['removed', 'node removed'],
];

/** Whether a diff fails a CI gate: `failing` when a stack at head does not render or breaks a mandatory policy; `weaker` also when any posture weakens. */
export function failsGate(d: PostureDiff, on: 'weaker' | 'failing'): StackDiff[] {
  const bad: StackVerdict[] = on === 'failing' ? ['failing'] : ['failing', 'weaker', 'mixed'];
  return d.stacks.filter((s) => bad.includes(s.verdict));
}

export function postureDiffMarkdown(d: PostureDiff): string {
  const L: string[] = ['## Bulwark posture diff', ''];
  const counts = VERDICT_ORDER.filter((v) => d.summary[v]).map((v) => `${d.summary[v]} ${v}`);
  L.push(`Base ${code(d.base)} → head ${code(d.head)}: ${d.stacks.length} stack${d.stacks.length === 1 ? '' : 's'}${counts.length ? ` (${counts.join(', ')})` : ''}.`);
  if (!d.stacks.length) return `${L.join('\n')}\n`;
  const uncompared = d.stacks.some((s) => [s.base, s.head].some((x) => x?.state === 'ok' && !x.cisEvaluated));
  if (uncompared) L.push('', 'CIS results not compared: kube-bench\'s cis-1.12 definitions were not found (set BULWARK_KUBE_BENCH_CFG to kube-bench\'s cfg folder).');
  for (const s of d.stacks.filter((x) => x.verdict !== 'unchanged')) L.push('', ...stackMarkdown(s));
  const same = d.stacks.filter((x) => x.verdict === 'unchanged').map((x) => code(x.stack));
  if (same.length) L.push('', `No posture change: ${same.join(', ')}.`);
  return `${L.join('\n')}\n`;
}
