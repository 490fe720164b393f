/**
 * Decides, for one stack, the status of every control in the catalogue.
 *
 * The rule of the posture model: a control is "enforced" only when the whole chain that makes
 * it effective is configured. So besides enforced, waived (by the profile or the stack, with
 * the reason), not required by the profile and not applicable, a required control can be:
 * - not-applied: its contribution goes to nodes or the control plane, which Bulwark does not
 *   configure in existing-cluster mode (its Kubernetes objects, if any, are still applied);
 * - depends: configured, but its effect needs something this stack does not configure (a CNI
 *   that enforces NetworkPolicy, a node with the runtime handler); it names what.
 * The report's counts, the stack outputs, the policy pack and the posture diff all read these
 * statuses; nothing else decides them.
 */
import type { StackConfig } from '../config/schema';
import type { Profile } from '../profiles/schema';
import type { Contribution, Control, ControlContext, Dependency } from './types';
import type { TalosLine } from '../talos/defaults';

export type ControlStatus =
  | { state: 'enforced'; dependencies: Dependency[] }
  | { state: 'depends'; dependencies: Dependency[] }
  | { state: 'not-applied'; reason: string }
  | { state: 'waived'; by: string; reason: string; expires?: string }
  | { state: 'not-required' }
  | { state: 'not-applicable'; reason: string };

export type ControlState = ControlStatus['state'];

/** States whose contribution is rendered (configured), whatever the claim. */
export const CONFIGURED_STATES: readonly ControlState[] = ['enforced', 'depends', 'not-applied'];

export interface ControlDecision {
  control: Control;
  status: ControlStatus;
}

export function controlContext(stack: StackConfig, profile: Profile): ControlContext {
  const [maj, min] = stack.cluster.kubernetesVersion.replace(/^v/, '').split('.');
  const [tmaj, tmin] = stack.cluster.talosVersion.replace(/^v/, '').split('.');
  return { stack, profile, kubernetesMinor: `${maj}.${min}`, talosLine: `${tmaj}.${tmin}` as TalosLine };
}

/** The parts of a contribution that only reach a cluster whose nodes Bulwark configures. */
export function nodeSideParts(c: Contribution): string[] {
  const parts: string[] = [];
  if (c.machine || c.nodes?.length) parts.push('node configuration (Talos machine config)');
  if (c.controlPlane) parts.push('control-plane component flags and files');
  if (c.talosProvides?.length) parts.push('settings Talos itself enforces');
  if (c.operations) parts.push('node rollout limits');
  return parts;
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
    if (ctx.stack.existingCluster) {
      const parts = nodeSideParts(control.contribute(ctx));
      if (parts.length)
        return {
          control,
          status: { state: 'not-applied', reason: `existing-cluster mode: Bulwark does not configure this cluster's nodes or control plane, and this control needs ${parts.join(', ')}` },
        };
    }
    const dependencies = control.dependsOn?.(ctx) ?? [];
    if (dependencies.some((d) => !d.met)) return { control, status: { state: 'depends', dependencies } };
    return { control, status: { state: 'enforced', dependencies } };
  });
}

/** Human text for a status that withholds "enforced": what is missing. */
export function unmetText(status: ControlStatus): string | undefined {
  if (status.state === 'not-applied') return status.reason;
  if (status.state === 'depends')
    return `depends on ${status.dependencies.filter((d) => !d.met).map((d) => `${d.what} (${d.detail})`).join('; ')}`;
  return undefined;
}
