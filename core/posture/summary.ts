/**
 * What every rendering of the posture report (Markdown, HTML, SARIF, JUnit) says the same way:
 * the counts per layer with who checked them, the meaning of each status (said once, as a legend),
 * and a control's status and judge as one short phrase.
 */
import { LAYERS } from '../controls/types';
import type { PostureControl, PostureReport, PostureStatus } from './report';

export const STATUSES: PostureStatus[] = ['enforced', 'depends', 'not-applied', 'waived', 'not-required', 'not-applicable'];

/** The legend: each status and verification word, explained once. */
export const STATUS_MEANING: Record<PostureStatus | 'verified' | 'not-verified' | 'failed', string> = {
  enforced: 'configured, with the whole chain that makes it effective',
  depends: 'configured, but it depends on something this stack does not configure (named with the control)',
  'not-applied': 'existing-cluster mode: Bulwark configures no node or control plane there',
  waived: 'required by the profile, waived with a reason (by the profile or the stack)',
  'not-required': 'the profile does not require it',
  'not-applicable': 'nothing in this stack to apply it to (the reason is in posture.json)',
  verified: 'every claim about it was checked against a real system by the end-to-end suite; the judge is named',
  'not-verified': 'enforced, but no real system has checked it here (the render and unit judges only)',
  failed: 'a claim about it failed against a real system',
};

export interface LayerSummary {
  layer: string;
  counts: Record<PostureStatus, number>;
  /** Enforced controls a real system checked (verified), and those none did. */
  verified: number;
  notVerified: number;
  failed: number;
  /** Every judge that checked a control of this layer, sorted. */
  judges: string[];
}

export function layerSummaries(p: PostureReport): LayerSummary[] {
  const layers = [...LAYERS.filter((l) => p.controls.some((c) => c.layer === l)), ...new Set(p.controls.map((c) => c.layer).filter((l) => !(LAYERS as string[]).includes(l)))];
  return layers.map((layer) => {
    const cs = p.controls.filter((c) => c.layer === layer);
    const counts = Object.fromEntries(STATUSES.map((s) => [s, cs.filter((c) => c.status === s).length])) as Record<PostureStatus, number>;
    const enforced = cs.filter((c) => c.status === 'enforced');
    return {
      layer,
      counts,
      verified: enforced.filter((c) => c.verified === 'verified').length,
      notVerified: enforced.filter((c) => !c.verified).length,
      failed: cs.filter((c) => c.verified === 'failed').length,
      judges: [...new Set(cs.flatMap((c) => c.judges ?? []))].sort(),
    };
  });
}

/** "verified (kube-apiserver v1.36.3)", "failed (cyclonus v0.5.6)", "not verified here" (enforced), or a dash. */
export function judgement(c: PostureControl): string {
  if (!c.verified) return c.status === 'enforced' ? 'not verified here' : '—';
  return `${c.verified} (${(c.judges ?? []).join(', ')})`;
}

/** Why a control is not enforced, in one line ('' for an enforced one). */
export function statusReason(c: PostureControl): string {
  if (c.status === 'waived') return `waived by ${c.by}${c.expires ? ` until ${c.expires}` : ''}: ${c.reason ?? ''}`;
  if (c.status === 'not-applied') return `not applied: ${c.reason ?? ''}`;
  if (c.status === 'depends' || c.status === 'not-applicable') return c.reason ?? '';
  if (c.status === 'not-required') return 'not required by the profile';
  return '';
}

/** Consecutive CIS check ids (1.1.1, 1.1.2, 1.1.3) as a range (1.1.1–1.1.3). */
export function idRanges(ids: string[]): string {
  const out: string[] = [];
  let start = 0;
  const next = (a: string, b: string) => {
    const [pa, pb] = [a.split('.'), b.split('.')];
    return pa.length === pb.length && pa.slice(0, -1).join('.') === pb.slice(0, -1).join('.') && Number(pb[pb.length - 1]) === Number(pa[pa.length - 1]) + 1;
  };
  for (let i = 1; i <= ids.length; i++)
    if (i === ids.length || !next(ids[i - 1], ids[i])) {
      out.push(i - 1 - start >= 2 ? `${ids[start]}–${ids[i - 1]}` : ids.slice(start, i).join(', '));
      start = i;
    }
  return out.join(', ');
}
