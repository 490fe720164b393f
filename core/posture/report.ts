/**
 * The posture report: one row per control (enforced, waived with its reason, not required by
 * the profile, or not applicable), the evidence each enforced control contributes, and the
 * CIS results. JSON for machines and diffs, Markdown for people. Nothing secret goes in.
 */
import type { ValidStack } from '../config/validate';
import type { CisRow } from '../cis/report';
import { cisCounts } from '../cis/report';
import type { ControlDecision } from '../controls/resolve';
import type { ClusterPlan } from '../render/plan';
import { contributionEvidence } from './evidence';

export interface PostureControl {
  id: string;
  layer: string;
  title: string;
  threat: string;
  references: Record<string, string[]>;
  status: 'enforced' | 'waived' | 'not-required' | 'not-applicable';
  by?: string;
  reason?: string;
  expires?: string;
  evidence: string[];
  notes: string[];
  /** From the end-to-end suite: every claim about this control checked against a real API server. */
  verified?: 'verified' | 'failed';
}

/** What `npm run test:e2e` writes: per stack, each claim checked and the controls it proves. */
export interface VerificationResults {
  kubernetesVersion: string;
  stacks: Record<string, { profile: string; claims: { claim: string; controls: string[]; status: 'verified' | 'failed'; detail?: string }[] }>;
}

export function verificationFor(results: VerificationResults | undefined, stack: string): Map<string, 'verified' | 'failed'> {
  const out = new Map<string, 'verified' | 'failed'>();
  for (const c of results?.stacks[stack]?.claims ?? [])
    for (const id of c.controls) out.set(id, out.get(id) === 'failed' || c.status === 'failed' ? 'failed' : 'verified');
  return out;
}

export interface PostureReport {
  stack: string;
  profile: string;
  site: string;
  threat: string;
  talosVersion: string;
  kubernetesVersion: string;
  contract: string;
  summary: { enforced: number; waived: number; notRequired: number; notApplicable: number };
  controls: PostureControl[];
  cis: { benchmark: string; evaluated: boolean; source?: string; counts?: Record<string, number>; results: CisRow[] };
  tenants: string[];
  nodes: { name: string; role: string; schematic: string; installer: string }[];
}

export function buildPosture(
  v: ValidStack,
  decisions: ControlDecision[],
  plan: ClusterPlan,
  cis: { rows?: CisRow[]; source?: string },
  nodes: PostureReport['nodes'],
  verification: Map<string, 'verified' | 'failed'> = new Map(),
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
      evidence: contribution ? contributionEvidence(contribution, v.stack.tenants, v.stack.nodes) : [],
      notes: plan.notes.filter((n) => n.control === c.id).map((n) => n.note),
      ...(verification.has(c.id) ? { verified: verification.get(c.id) } : {}),
    };
    const s = d.status;
    if (s.state === 'waived') return { ...base, status: 'waived' as const, by: s.by, reason: s.reason, ...(s.expires ? { expires: s.expires } : {}) };
    if (s.state === 'not-applicable') return { ...base, status: 'not-applicable' as const, reason: s.reason };
    return { ...base, status: s.state };
  });
  const count = (st: PostureControl['status']) => controls.filter((c) => c.status === st).length;
  return {
    stack: v.name,
    profile: v.profile.name,
    site: v.stack.site,
    threat: v.profile.threat,
    talosVersion: v.stack.cluster.talosVersion,
    kubernetesVersion: v.stack.cluster.kubernetesVersion,
    contract: v.stack.cluster.contract,
    summary: { enforced: count('enforced'), waived: count('waived'), notRequired: count('not-required'), notApplicable: count('not-applicable') },
    controls,
    cis: cis.rows
      ? { benchmark: 'cis-1.12', evaluated: true, source: cis.source, counts: cisCounts(cis.rows), results: cis.rows }
      : { benchmark: 'cis-1.12', evaluated: false, results: [] },
    tenants: v.stack.tenants.map((t) => t.name),
    nodes,
  };
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function postureMarkdown(p: PostureReport): string {
  const L: string[] = [];
  L.push(`# Posture: ${p.stack}`, '');
  L.push(`Profile **${p.profile}** (site: ${p.site}) · Talos ${p.talosVersion} (contract ${p.contract}) · Kubernetes ${p.kubernetesVersion}`, '');
  L.push(`> ${p.threat.replace(/\n\n/g, '\n>\n> ')}`, '');
  L.push(`Controls: **${p.summary.enforced} enforced**, ${p.summary.waived} waived, ${p.summary.notRequired} not required by the profile, ${p.summary.notApplicable} not applicable.`, '');
  L.push('| Control | Layer | Status | Verified against a real API server | Title | References |', '|---|---|---|---|---|---|');
  for (const c of p.controls) {
    const status = c.status === 'waived' ? `waived (${c.by})` : c.status;
    const refs = Object.entries(c.references).map(([k, v]) => `${k.toUpperCase()} ${v.join(', ')}`).join('; ');
    L.push(`| \`${c.id}\` | ${c.layer} | ${status} | ${c.verified ?? '—'} | ${esc(c.title)} | ${esc(refs)} |`);
  }
  const waived = p.controls.filter((c) => c.status === 'waived');
  if (waived.length) {
    L.push('', '## Waivers', '');
    for (const c of waived) L.push(`- \`${c.id}\` — waived by ${c.by}${c.expires ? `, expires ${c.expires}` : ''}: ${esc(c.reason ?? '')}`);
  }
  L.push('', '## What is enforced', '');
  for (const c of p.controls.filter((x) => x.status === 'enforced')) {
    L.push(`### \`${c.id}\` — ${c.title}`, '', `Threat: ${c.threat}`, '');
    for (const e of c.evidence) L.push(`- ${e}`);
    for (const n of c.notes) L.push(`- Note: ${n}`);
    L.push('');
  }
  L.push('## CIS Kubernetes Benchmark 1.12', '');
  if (!p.cis.evaluated) L.push('Not evaluated: kube-bench\'s cis-1.12 definitions were not found (set BULWARK_KUBE_BENCH_CFG to kube-bench\'s cfg folder).');
  else {
    L.push(Object.entries(p.cis.counts!).map(([k, v]) => `${k}: ${v}`).join(' · '), '');
    L.push('| Check | Result | Detail |', '|---|---|---|');
    for (const r of p.cis.results) L.push(`| ${r.id} | ${r.verdict} | ${esc(r.reason ?? r.detail)} |`);
  }
  if (p.tenants.length) L.push('', `## Tenants (${p.tenants.length})`, '', p.tenants.join(', '));
  L.push('', '## Nodes', '', '| Node | Role | Installer |', '|---|---|---|');
  for (const n of p.nodes) L.push(`| ${n.name} | ${n.role} | \`${n.installer}\` |`);
  return `${L.join('\n')}\n`;
}
