/**
 * The order in which changes roll through a running cluster, and the order of resets when
 * nodes go away. Pure: names in, order out.
 *
 * Rollout: control planes first, one at a time (etcd keeps quorum), then workers in batches of
 * operations.workerBatchSize; each group starts only after the previous group's health gate.
 * First provision does not use this order at all: every node is configured at once.
 *
 * Reset (destroy with operations.resetOnDestroy): workers first, then control planes one at a
 * time, gracefully (each leaves etcd), except the first control plane, which goes last and is
 * the only etcd member left: Talos cannot gracefully leave a one-member etcd, so it is reset
 * without --graceful.
 */
import type { NodeConfig } from '../config/schema';

export interface RolloutGroup {
  index: number;
  role: 'controlplane' | 'worker';
  nodes: string[];
}

type Named = Pick<NodeConfig, 'name' | 'role'>;

export function rolloutGroups(nodes: readonly Named[], workerBatchSize: number): RolloutGroup[] {
  const size = Math.max(1, Math.floor(workerBatchSize));
  const groups: RolloutGroup[] = [];
  for (const n of nodes.filter((x) => x.role === 'controlplane')) groups.push({ index: groups.length, role: 'controlplane', nodes: [n.name] });
  const workers = nodes.filter((x) => x.role === 'worker');
  for (let i = 0; i < workers.length; i += size)
    groups.push({ index: groups.length, role: 'worker', nodes: workers.slice(i, i + size).map((w) => w.name) });
  return groups;
}

export interface ResetStep {
  node: string;
  graceful: boolean;
  /**
   * The reset this one must be destroyed BEFORE (Pulumi deletes a resource before what it
   * depends on, so this is its dependency). undefined for the first control plane.
   */
  dependsOn?: string;
}

/** Reset order expressed as dependencies (see the module comment). Workers depend on the last control plane in the chain. */
export function resetSteps(nodes: readonly Named[]): ResetStep[] {
  const cps = nodes.filter((n) => n.role === 'controlplane');
  const steps: ResetStep[] = cps.map((n, i) => ({ node: n.name, graceful: i > 0, dependsOn: i > 0 ? cps[i - 1].name : undefined }));
  const lastCp = cps.length ? cps[cps.length - 1].name : undefined;
  for (const w of nodes.filter((n) => n.role === 'worker')) steps.push({ node: w.name, graceful: true, dependsOn: lastCp });
  return steps;
}

/** Server-side health checks must run on a control plane: the node itself if it is one, else the first. */
export function healthTarget(node: Named & { address: string }, firstControlPlane: { address: string }): string {
  return node.role === 'controlplane' ? node.address : firstControlPlane.address;
}
