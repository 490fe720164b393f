/**
 * The posture report: one row per control — enforced; configured but depending on something
 * this stack does not configure (it says what); not applied (existing-cluster mode); waived with
 * its reason; not required by the profile; or not applicable — the evidence each configured
 * control contributes, who outside Bulwark checked it, and the CIS results. JSON for machines
 * and diffs, Markdown for people. Nothing secret goes in. Statuses come from
 * controls/resolve.ts only.
 */
import type { ValidStack } from '../config/validate';
import type { CisRow } from '../cis/report';
import { cisCounts } from '../cis/report';
import { type ControlDecision, unmetText } from '../controls/resolve';
import type { ClusterPlan } from '../render/plan';
import { contributionEvidence } from './evidence';
import { STATUS_MEANING, idRanges, judgement, layerSummaries } from './summary';
import { type CaAgeReport, caAgeMarkdown } from './ca-age';

export type PostureStatus = 'enforced' | 'depends' | 'not-applied' | 'waived' | 'not-required' | 'not-applicable';

export interface PostureControl {
  id: string;
  layer: string;
  title: string;
  threat: string;
  references: Record<string, string[]>;
  status: PostureStatus;
  by?: string;
  reason?: string;
  expires?: string;
  /** The chain beyond the control's own contribution: each link, met or not, and how. */
  dependencies?: { what: string; met: boolean; detail: string }[];
  evidence: string[];
  notes: string[];
  /** From the end-to-end suite: every claim about this control checked against a real system. */
  verified?: 'verified' | 'failed';
  /** Who checked it there (e.g. "kube-apiserver v1.36.3", "cyclonus"). */
  judges?: string[];
}

/** What `npm run test:e2e` writes: per stack, each claim checked, the controls it proves, and its judge. */
export interface VerificationResults {
  kubernetesVersion: string;
  stacks: Record<string, { profile: string; claims: { claim: string; controls: string[]; status: 'verified' | 'failed'; detail?: string; judge?: string }[] }>;
}

export interface Verification {
  status: 'verified' | 'failed';
  judges: string[];
}

export function verificationFor(results: VerificationResults | undefined, stack: string): Map<string, Verification> {
  const out = new Map<string, Verification>();
  const apiServer = results ? `kube-apiserver ${results.kubernetesVersion}` : 'kube-apiserver';
  for (const c of results?.stacks[stack]?.claims ?? [])
    for (const id of c.controls) {
      const prev = out.get(id);
      const judge = c.judge ?? apiServer;
      const judges = prev ? (prev.judges.includes(judge) ? prev.judges : [...prev.judges, judge].sort()) : [judge];
      out.set(id, { status: prev?.status === 'failed' || c.status === 'failed' ? 'failed' : 'verified', judges });
    }
  return out;
}

export interface PostureSummary {
  enforced: number;
  /** Configured, but depending on something this stack does not configure. */
  depends: number;
  /** Not applied: existing-cluster mode. */
  notApplied: number;
  waived: number;
  notRequired: number;
  notApplicable: number;
}

export interface PostureReport {
  stack: string;
  profile: string;
  site: string;
  threat: string;
  talosVersion: string;
  kubernetesVersion: string;
  contract: string;
  /** `provisioned` (Bulwark configures the nodes) or `existing-cluster`. */
  mode: 'provisioned' | 'existing-cluster';
  summary: PostureSummary;
  controls: PostureControl[];
  cis: { benchmark: string; evaluated: boolean; source?: string; reason?: string; counts?: Record<string, number>; results: CisRow[] };
  tenants: string[];
  nodes: { name: string; role: string; schematic: string; installer: string }[];
  /** Each CA's age and rotation (core/posture/ca-age.ts): only where the real bundle is known (the CLI). */
  certificateAuthorities?: CaAgeReport;
}

export function summarise(controls: { status: PostureStatus }[]): PostureSummary {
  const count = (st: PostureStatus) => controls.filter((c) => c.status === st).length;
  return {
    enforced: count('enforced'), depends: count('depends'), notApplied: count('not-applied'),
    waived: count('waived'), notRequired: count('not-required'), notApplicable: count('not-applicable'),
  };
}

export function buildPosture(
  v: ValidStack,
  decisions: ControlDecision[],
  plan: ClusterPlan,
  cis: { rows?: CisRow[]; source?: string; reason?: string },
  nodes: PostureReport['nodes'],
  verification: Map<string, Verification> = new Map(),
): PostureReport {
  const controls: PostureControl[] = decisions.map((d) => {
    const c = d.control;
    const contribution = plan.contributions.get(c.id);
    const base = {
      id: c.id,
      layer: c.layer,
      title: c.title,
      threat: c.threat,
      references: Object.fromEntries(Object.entries(c.references).filter(([, v]) => v && v.length)) as Record<string, string[]>,
      evidence: contribution ? contributionEvidence(contribution, v.stack.tenants, v.stack.nodes, v.stack.cluster.contract) : [],
      notes: plan.notes.filter((n) => n.control === c.id).map((n) => n.note),
      ...(verification.has(c.id) ? { verified: verification.get(c.id)!.status, judges: verification.get(c.id)!.judges } : {}),
    };
    const s = d.status;
    if (s.state === 'waived') return { ...base, status: 'waived' as const, by: s.by, reason: s.reason, ...(s.expires ? { expires: s.expires } : {}) };
    if (s.state === 'not-applicable') return { ...base, status: 'not-applicable' as const, reason: s.reason };
    if (s.state === 'not-applied') return { ...base, status: 'not-applied' as const, reason: s.reason };
    if (s.state === 'depends' || s.state === 'enforced')
      return {
        ...base,
        status: s.state,
        ...(s.state === 'depends' ? { reason: unmetText(s) } : {}),
        ...(s.dependencies.length ? { dependencies: s.dependencies.map((x) => ({ what: x.what, met: x.met, detail: x.detail })) } : {}),
      };
    return { ...base, status: s.state };
  });
  return {
    stack: v.name,
    profile: v.profile.name,
    site: v.stack.site,
    threat: v.profile.threat,
    talosVersion: v.stack.cluster.talosVersion,
    kubernetesVersion: v.stack.cluster.kubernetesVersion,
    contract: v.stack.cluster.contract,
    mode: v.stack.existingCluster ? 'existing-cluster' : 'provisioned',
    summary: summarise(controls),
    controls,
    cis: cis.rows
      ? { benchmark: 'cis-1.12', evaluated: true, source: cis.source, counts: cisCounts(cis.rows), results: cis.rows }
      : { benchmark: 'cis-1.12', evaluated: false, ...(cis.reason ? { reason: cis.reason } : {}), results: [] },
    tenants: v.stack.tenants.map((t) => t.name),
    nodes,
  };
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const num = (n: number) => (n ? String(n) : '·');

/**
 * The Markdown report, summary first: counts per layer with their judges, what needs a
 * reviewer's attention (not enforced, waived, failed), then every control by layer, the
 * evidence, CIS and nodes. Each status is explained once, in the legend; a CIS reason shared
 * by several checks is a numbered note.
 */
export function postureMarkdown(p: PostureReport): string {
  const L: string[] = [];
  L.push(`# Posture: ${p.stack}`, '');
  L.push(`Profile **${p.profile}** (site: ${p.site}) · Talos ${p.talosVersion} (contract ${p.contract}) · Kubernetes ${p.kubernetesVersion}`, '');
  L.push(`> ${p.threat.replace(/\n\n/g, '\n>\n> ')}`, '');
  if (p.mode === 'existing-cluster')
    L.push('Mode: **existing cluster**. Bulwark applies only Kubernetes objects here; every control that needs node or control-plane configuration is "not-applied".', '');
  const withheldCounts = [
    ...(p.summary.depends ? [`${p.summary.depends} configured but depending on something this stack does not configure`] : []),
    ...(p.summary.notApplied ? [`${p.summary.notApplied} not applied`] : []),
  ].map((x) => `${x}, `).join('');
  L.push(`Controls: **${p.summary.enforced} enforced**, ${withheldCounts}${p.summary.waived} waived, ${p.summary.notRequired} not required by the profile, ${p.summary.notApplicable} not applicable.`, '');

  L.push('## Summary', '');
  L.push('| Layer | Enforced | verified | not verified | Depends | Not applied | Waived | Not required | Not applicable | Judges |', '|---|---|---|---|---|---|---|---|---|---|');
  const layers = layerSummaries(p);
  for (const s of layers) {
    const c = s.counts;
    L.push(`| ${s.layer} | **${c.enforced}** | ${num(s.verified)} | ${num(s.notVerified)} | ${num(c.depends)} | ${num(c['not-applied'])} | ${num(c.waived)} | ${num(c['not-required'])} | ${num(c['not-applicable'])} | ${s.judges.join(', ') || '—'} |`);
  }
  L.push('', 'Legend (· is none):', '');
  for (const [k, v] of Object.entries(STATUS_MEANING)) L.push(`- **${k}**: ${v}.`);

  const failed = p.controls.filter((c) => c.verified === 'failed');
  if (failed.length) {
    L.push('', '## Failed against a real system', '');
    for (const c of failed) L.push(`- \`${c.id}\` — ${judgement(c)}`);
  }
  const withheld = p.controls.filter((c) => c.status === 'depends' || c.status === 'not-applied');
  if (withheld.length) {
    L.push('', '## Configured or required, but not enforced', '');
    // reason reads "depends on …" (depends) or names the mode (not-applied).
    for (const c of withheld) L.push(`- \`${c.id}\` — ${c.status === 'not-applied' ? 'not applied: ' : ''}${esc(c.reason ?? '')}`);
  }
  const waived = p.controls.filter((c) => c.status === 'waived');
  if (waived.length) {
    L.push('', '## Waivers', '');
    for (const c of waived) L.push(`- \`${c.id}\` — waived by ${c.by}${c.expires ? `, expires ${c.expires}` : ''}: ${esc(c.reason ?? '')}`);
  }

  if (p.certificateAuthorities) L.push('', ...caAgeMarkdown(p.certificateAuthorities));

  L.push('', '## Controls', '');
  for (const s of layers) {
    L.push(`### ${s.layer}`, '', '| Control | Status | Checked by a real system (judge) | Title | References |', '|---|---|---|---|---|');
    for (const c of p.controls.filter((x) => x.layer === s.layer)) {
      const status = c.status === 'waived' ? `waived (${c.by})` : c.status;
      const refs = Object.entries(c.references).map(([k, v]) => `${k.toUpperCase()} ${v.join(', ')}`).join('; ');
      L.push(`| \`${c.id}\` | ${status} | ${judgement(c)} | ${esc(c.title)} | ${esc(refs)} |`);
    }
    L.push('');
  }

  // One line per control: what it configures; its threat is in posture.json and the HTML report.
  L.push('## What is enforced', '', 'What each enforced control configures (the threat each answers: posture.html or posture.json).', '');
  for (const c of p.controls.filter((x) => x.status === 'enforced')) {
    const parts = [...c.evidence, ...(c.dependencies ?? []).map((d) => `depends on ${d.what}: ${d.detail}`), ...c.notes.map((n) => `note: ${n}`)];
    L.push(`- \`${c.id}\` — ${esc(parts.join('; '))}`);
  }
  L.push('');
  L.push(...cisMarkdown(p), '');
  if (p.tenants.length) L.push(`## Tenants (${p.tenants.length})`, '', p.tenants.join(', '), '');
  L.push('## Nodes', '', '| Nodes | Role | Installer |', '|---|---|---|');
  const groups = new Map<string, string[]>();
  for (const n of p.nodes) groups.set(`${n.role}\0${n.installer}`, [...(groups.get(`${n.role}\0${n.installer}`) ?? []), n.name]);
  for (const [k, names] of groups) {
    const [role, installer] = k.split('\0');
    L.push(`| ${names.join(', ')} | ${role} | \`${installer}\` |`);
  }
  return `${L.join('\n')}\n`;
}

/** CIS: counts, then each result with its checks and reason once; every check in a folded table, shared reasons as notes. */
function cisMarkdown(p: PostureReport): string[] {
  const L = ['## CIS Kubernetes Benchmark 1.12', ''];
  if (!p.cis.evaluated) {
    L.push(`Not evaluated: ${p.cis.reason ?? "kube-bench's cis-1.12 definitions were not found (set BULWARK_KUBE_BENCH_CFG to kube-bench's cfg folder)."}`);
    return L;
  }
  L.push(Object.entries(p.cis.counts!).map(([k, v]) => `${k}: ${v}`).join(' · '), '');
  const why = (r: CisRow) => r.reason ?? r.detail;
  const uses = new Map<string, number>();
  for (const r of p.cis.results) uses.set(why(r), (uses.get(why(r)) ?? 0) + 1);
  const notes = [...uses].filter(([, n]) => n > 1).map(([t]) => t);
  const noteOf = (t: string) => notes.indexOf(t) + 1;
  L.push('| Result | Checks | Why |', '|---|---|---|');
  for (const [i, t] of notes.entries()) {
    const rows = p.cis.results.filter((r) => why(r) === t);
    L.push(`| ${[...new Set(rows.map((r) => r.verdict))].join(', ')} | ${idRanges(rows.map((r) => r.id))} | [${i + 1}] ${esc(t)} |`);
  }
  L.push('', '<details><summary>Every check</summary>', '', '| Check | Result | Detail |', '|---|---|---|');
  for (const r of p.cis.results) L.push(`| ${r.id} | ${r.verdict} | ${noteOf(why(r)) ? `see [${noteOf(why(r))}]` : esc(why(r))} |`);
  L.push('', '</details>');
  return L;
}
