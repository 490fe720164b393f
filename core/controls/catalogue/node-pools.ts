/**
 * Tenancy layer, nodes: the labels that make a node part of a tenant's dedicated pool.
 *
 * They live under `node-restriction.kubernetes.io/`, the one prefix the NodeRestriction
 * admission plugin forbids a kubelet to set or change on its own Node. Any other label a
 * kubelet may give itself, so one compromised shared node could label itself into a tenant's
 * pool and draw that tenant's pods. For the same reason Talos cannot write them: it writes
 * `machine.nodeLabels` with the kubelet's identity (and NodeRestriction refuses it), so the
 * machine configuration leaves them out and the deployer applies them to the Node through
 * the API (core/render/machine/inputs.ts nodeLabels).
 */
import type { NodeConfig } from '../../config/schema';
import { CONTROL_ANNOTATION, K8sObject } from '../../render/k8s';
import type { Control } from '../types';

export const POOL_LABEL_PREFIX = 'node-restriction.kubernetes.io/';
/** Labels and taints of the control plane: no tenant may target them. */
export const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';

export const isPoolLabel = (key: string): boolean => key.startsWith(POOL_LABEL_PREFIX);

/** The node's pool labels, sorted; empty when it is in no pool. */
export function poolLabels(node: NodeConfig): Record<string, string> {
  return Object.fromEntries(Object.keys(node.labels).filter(isPoolLabel).sort().map((k) => [k, node.labels[k]]));
}

const ID = 'tenancy.nodes.pool-labels';

export const nodePoolControls: Control[] = [
  {
    id: ID,
    layer: 'tenancy',
    title: 'Dedicated-pool labels (node-restriction.kubernetes.io/) set by the deployer, never by the node',
    threat: 'A pool label a kubelet may set on its own node lets one compromised shared node join a tenant\'s dedicated pool and attract that tenant\'s pods.',
    references: { other: ['Kubernetes NodeRestriction admission plugin: node-restriction.kubernetes.io/ labels'] },
    requiredBy: ['single-team', 'multi-team', 'hostile-multi-tenant'],
    appliesTo: (ctx) => ctx.stack.nodes.some((n) => Object.keys(poolLabels(n)).length > 0),
    contribute: (ctx) => ({
      // A Node patch: only these labels, the rest of the Node stays the kubelet's.
      objects: ctx.stack.nodes
        .filter((n) => Object.keys(poolLabels(n)).length > 0)
        .map((n): K8sObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: n.name, labels: poolLabels(n), annotations: { [CONTROL_ANNOTATION]: ID } } })),
      notes: [
        'Applied to the Node objects through the Kubernetes API by the deployer (a Node patch), not through the Talos machine configuration: ' +
          'Talos writes node labels with the kubelet\'s identity, which NodeRestriction forbids for this prefix, and that is what stops a node labelling itself into a pool.',
      ],
    }),
  },
];
