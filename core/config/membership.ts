/**
 * Control-plane membership across `pulumi up`s: which edits of `bulwark:nodes` etcd survives.
 * Pure; the program (components/membership.ts) supplies the membership it recorded last time.
 *
 * etcd commits a membership change with a quorum (floor(n/2)+1) of the members it has *before*
 * the change (etcd.io "Runtime reconfiguration": "change the cluster membership one node at a
 * time"), and Talos removes a control plane by that change (`talosctl etcd leave` from the node,
 * `talosctl etcd remove-member` from a peer when the node is dead). So:
 *
 *  - at most one control plane leaves per `pulumi up` (3 → 1 at once is refused: go 3 → 2 → 1,
 *    each step its own `up`, the even step with bulwark:cluster.allowEvenControlPlanes);
 *  - 3 → 2 is refused by the static rule (core/config/validate.ts checkNodes: an even count
 *    tolerates no more failures than one fewer) unless allowEvenControlPlanes says so; the
 *    transition itself (one member leaving while two keep quorum) is safe, so it is not refused here;
 *  - a dead control plane (operations.deadNodes) is removed from a peer, which needs a quorum of
 *    the current members alive: live ≥ floor(n/2)+1. Fewer live means etcd has lost quorum, and
 *    only a restore from a snapshot brings it back (docs/operations.md, Restore);
 *  - a node is marked dead while still listed, and removed from the list a later `up`: the
 *    removal of a node that was not dead before runs `etcd leave` on the node itself. A node marked
 *    dead does not come back under its name (its member is gone; its etcd data no longer fits).
 */
import type { StackConfig } from './schema';
import { ConfigProblem, keyPath, quote } from './errors';

/** What the program records of each control plane after every successful `pulumi up`. */
export interface Member {
  name: string;
  address: string;
  /** operations.deadNodes named it on that run. */
  dead: boolean;
}

export const quorum = (n: number): number => Math.floor(n / 2) + 1;

/** The control planes of a validated stack as the program records them. */
export function membersOf(stack: Pick<StackConfig, 'nodes' | 'operations'>): Member[] {
  const dead = new Set(stack.operations.deadNodes);
  return stack.nodes.filter((n) => n.role === 'controlplane').map((n) => ({ name: n.name, address: n.address, dead: dead.has(n.name) }));
}

/** Rules that need no history: what operations.deadNodes may name. */
export function deadNodeProblems(stack: Pick<StackConfig, 'nodes' | 'operations'>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const byName = new Map(stack.nodes.map((n) => [n.name, n]));
  stack.operations.deadNodes.forEach((name, i) => {
    if (!byName.has(name))
      problems.push({ path: keyPath(['operations', 'deadNodes', i]), message: `${quote(name)} names no node of bulwark:nodes; mark a node dead while it is still listed (pulumi up), then remove it from bulwark:nodes and from operations.deadNodes together` });
  });
  const cps = stack.nodes.filter((n) => n.role === 'controlplane');
  const dead = cps.filter((n) => stack.operations.deadNodes.includes(n.name));
  if (dead.length && cps.length - dead.length < quorum(cps.length))
    problems.push({
      path: keyPath(['operations', 'deadNodes']),
      message: `marks ${dead.length} of ${cps.length} control planes dead (${dead.map((n) => n.name).join(', ')}); etcd needs ${quorum(cps.length)} live members to remove one, so it has lost quorum: restore from an etcd snapshot (docs/operations.md, "Restore") instead`,
    });
  return problems;
}

/** Rules against the membership recorded by the last successful `pulumi up` (none on the first). */
export function membershipProblems(previous: readonly Member[] | undefined, stack: Pick<StackConfig, 'nodes' | 'operations'>): ConfigProblem[] {
  if (!previous?.length) return [];
  const next = new Map(membersOf(stack).map((m) => [m.name, m]));
  const removed = previous.filter((m) => !next.has(m.name));
  const problems: ConfigProblem[] = [];
  const path = keyPath(['nodes']);
  if (removed.length > 1) {
    const [first] = removed;
    problems.push({
      path,
      message: `removes ${removed.length} control planes at once (${removed.map((m) => m.name).join(', ')}) of the ${previous.length} the last pulumi up left; etcd must lose members one at a time, each leaving while the others keep quorum. Remove one (e.g. ${first.name}), pulumi up, then the next${previous.length - removed.length < 3 ? '; a step through an even count needs bulwark:cluster.allowEvenControlPlanes: true for that step' : ''}`,
    });
  }
  // a member removed through a peer is gone from etcd; the machine's own etcd data no longer belongs to the cluster
  for (const m of previous) {
    const n = next.get(m.name);
    if (m.dead && n && !n.dead)
      problems.push({ path: keyPath(['operations', 'deadNodes']), message: `no longer names ${m.name}, whose etcd member was removed when it was marked dead; it cannot come back under that name. Remove it from bulwark:nodes (and from operations.deadNodes), wipe the machine, and add it under a new name` });
  }
  // a control plane that moved to another address is a new machine under an old name: its old member would stay in etcd
  for (const m of previous) {
    const n = next.get(m.name);
    if (n && n.address !== m.address)
      problems.push({ path, message: `gives control plane ${m.name} a new address (${m.address} → ${n.address}); etcd knows the member by its old one. Remove ${quote(m.name)} (one pulumi up), then add the machine under a new name` });
  }
  return problems;
}
