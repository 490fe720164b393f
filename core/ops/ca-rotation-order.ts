/**
 * The rollout's order in the Kubernetes CA's drop phase: workers first, then the control planes one at a time.
 * A kubelet still holds a client certificate from the old CA when its node drops it; Talos's kubelet controller
 * then finds it issued by no accepted CA and bootstraps a new one, which the controller manager signs with the new
 * CA (issuing since the switch). Workers first, every API server still accepts both CAs while they do; in the usual
 * order, a control plane that no longer accepts the old CA would refuse every worker's kubelet until its own step,
 * and the health gate between control planes would wait on NotReady workers.
 */
import type { RolloutGroup } from './rollout';

export function caRotationOrder(groups: RolloutGroup[], caRotation: { kubernetes?: string } | undefined): RolloutGroup[] {
  if (caRotation?.kubernetes !== 'drop') return groups;
  return [...groups.filter((g) => g.role === 'worker'), ...groups.filter((g) => g.role === 'controlplane')].map((g, index) => ({ ...g, index }));
}
