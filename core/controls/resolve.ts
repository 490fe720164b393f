/**
 * Decides, for one stack, the status of every control in the catalogue: enforced, waived
 * (by the profile or the stack, with the reason), or not required by the profile.
 */
import type { StackConfig } from '../config/schema';
import type { Profile } from '../profiles/schema';
import type { Control, ControlContext } from './types';
import type { TalosLine } from '../talos/defaults';

export type ControlStatus =
  | { state: 'enforced' }
  | { state: 'waived'; by: string; reason: string; expires?: string }
  | { state: 'not-required' }
  | { state: 'not-applicable'; reason: string };

export interface ControlDecision {
  control: Control;
  status: ControlStatus;
}

export function controlContext(stack: StackConfig, profile: Profile): ControlContext {
  const [maj, min] = stack.cluster.kubernetesVersion.replace(/^v/, '').split('.');
  const [tmaj, tmin] = stack.cluster.talosVersion.replace(/^v/, '').split('.');
  return { stack, profile, kubernetesMinor: `${maj}.${min}`, talosLine: `${tmaj}.${tmin}` as TalosLine };
}

export function decideControls(catalogue: readonly Control[], ctx: ControlContext): ControlDecision[] {
  const lineage = new Set(ctx.profile.lineage);
  const stackWaivers = new Map(ctx.stack.waivers.map((w) => [w.control, w]));
  const profileWaivers = new Map(ctx.profile.waive.map((w) => [w.control, w]));
  return catalogue.map((control) => {
    const required = control.requiredBy.some((p) => lineage.has(p)) || ctx.profile.require.includes(control.id);
    if (!required) return { control, status: { state: 'not-required' } };
    if (control.appliesTo && !control.appliesTo(ctx))
      return { control, status: { state: 'not-applicable', reason: 'nothing in this stack for it to act on' } };
    const sw = stackWaivers.get(control.id);
    if (sw) return { control, status: { state: 'waived', by: 'stack', reason: sw.reason, expires: sw.expires } };
    const pw = profileWaivers.get(control.id);
    if (pw) return { control, status: { state: 'waived', by: pw.by, reason: pw.reason } };
    return { control, status: { state: 'enforced' } };
  });
}
