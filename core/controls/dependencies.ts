/**
 * The links outside a control's own contribution that its effect depends on, per stack. Each
 * is met only where Bulwark configures it, or where the stack states it (said as such).
 */
import { CILIUM_CHART } from '../render/cni';
import type { ControlContext, Dependency } from './types';

const ENFORCES_NETPOL = 'a CNI that enforces NetworkPolicy';

/** NetworkPolicy objects do nothing unless the CNI enforces them (flannel alone does not). */
export function networkPolicyEnforcement(ctx: ControlContext): Dependency {
  const { cluster, existingCluster } = ctx.stack;
  const stated = cluster.networkPolicyEnforcer;
  if (existingCluster)
    return stated
      ? { what: ENFORCES_NETPOL, met: true, detail: `the stack states the existing cluster runs ${stated} (not installed or checked by Bulwark)` }
      : { what: ENFORCES_NETPOL, met: false, detail: "the existing cluster's CNI is not Bulwark's; state it with bulwark:cluster.networkPolicyEnforcer once you know it enforces NetworkPolicy" };
  if (cluster.cni === 'flannel')
    return { what: ENFORCES_NETPOL, met: true, detail: 'flannel with kube-network-policies (kubeNetworkPoliciesEnabled: true; Talos deploys it)' };
  if (cluster.cni === 'cilium')
    return { what: ENFORCES_NETPOL, met: true, detail: `Cilium ${CILIUM_CHART.version}, installed by the program (Helm chart ${CILIUM_CHART.chart} ${CILIUM_CHART.version})` };
  return stated
    ? { what: ENFORCES_NETPOL, met: true, detail: `cni: none; the stack states ${stated} enforces it (not installed or checked by Bulwark)` }
    : { what: ENFORCES_NETPOL, met: false, detail: 'cluster.cni is none and the stack does not say which CNI enforces NetworkPolicy (bulwark:cluster.networkPolicyEnforcer)' };
}
