/**
 * Who holds the cluster-wide duties (bootstrap target, health checks, the rollout's cluster-wide
 * steps, the peer a dead member is removed through), and which nodes the program may contact. Pure.
 *
 * The holder is the first control plane that is not dead and, when the program knows the membership
 * the last `pulumi up` left (core/config/membership.ts), was already a member then: a control plane
 * added in this run is still installing, and a dead one does not answer. So removing or marking dead
 * the first control plane moves its duties to the next healthy one, and `talos-bootstrap` (which runs
 * once, ever) is never run again: the new holder joined the existing etcd.
 */
import type { NodeConfig } from '../config/schema';
import type { Member } from '../config/membership';

type Named = Pick<NodeConfig, 'name' | 'role' | 'address'>;

export function dutyHolder<N extends Named>(nodes: readonly N[], dead: readonly string[], previous?: readonly Member[]): N {
  const cps = nodes.filter((n) => n.role === 'controlplane' && !dead.includes(n.name));
  const before = previous?.length ? new Set(previous.filter((m) => !m.dead).map((m) => m.name)) : undefined;
  const holder = (before && cps.find((n) => before.has(n.name))) ?? cps[0];
  if (!holder) throw new Error('no live control plane: validation should have refused this stack');
  return holder;
}

/** Nodes the program talks to: every node not in operations.deadNodes. */
export const liveNodes = <N extends Named>(nodes: readonly N[], dead: readonly string[]): N[] => nodes.filter((n) => !dead.includes(n.name));
