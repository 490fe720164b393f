/**
 * How rendered Kubernetes objects become Pulumi resources: a stable resource name per object,
 * and the objects each must wait for. Pure.
 *
 * Names derive only from kind, namespace and name (core/render/k8s objectKey), so the same
 * stack always registers the same URNs, whatever the order or the other objects.
 */
import type { Control, Layer } from '../controls/types';
import type { ClusterPlan } from '../render/plan';
import { K8sObject, objectKey } from '../render/k8s';

export function resourceName(o: K8sObject): string {
  const key = objectKey(o);
  // "::" separates the parts of a URN; Kubernetes names never hold it, but refuse rather than corrupt state.
  if (key.includes('::')) throw new Error(`object ${JSON.stringify(key)} has "::" in its name, which a Pulumi resource name cannot hold`);
  return key;
}

/**
 * Keys (objectKey) of the objects `o` must be created after, among `known`:
 *  - a namespaced object waits for its Namespace;
 *  - a ValidatingAdmissionPolicyBinding waits for its policy;
 *  - a (Cluster)RoleBinding waits for the (Cluster)Role it binds;
 *  - anything naming a runtimeClassName waits for that RuntimeClass.
 */
export function objectDependencies(o: K8sObject, known: Pick<ReadonlySet<string>, 'has'>): string[] {
  const deps: string[] = [];
  const add = (k: string) => {
    if (known.has(k) && k !== objectKey(o) && !deps.includes(k)) deps.push(k);
  };
  if (o.metadata.namespace) add(`Namespace/${o.metadata.namespace}`);
  const spec = o.spec as Record<string, unknown> | undefined;
  if (o.kind === 'ValidatingAdmissionPolicyBinding' && typeof spec?.policyName === 'string') add(`ValidatingAdmissionPolicy/${spec.policyName}`);
  if (o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') {
    const ref = o.roleRef as { kind?: string; name?: string } | undefined;
    if (ref?.kind === 'ClusterRole' && ref.name) add(`ClusterRole/${ref.name}`);
    if (ref?.kind === 'Role' && ref.name && o.metadata.namespace) add(`Role/${o.metadata.namespace}/${ref.name}`);
  }
  for (const rc of runtimeClassNames(o)) add(`RuntimeClass/${rc}`);
  return deps;
}

function runtimeClassNames(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) runtimeClassNames(x, out);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === 'runtimeClassName' && typeof x === 'string') out.push(x);
      else runtimeClassNames(x, out);
    }
  return out;
}

/** Layers an existing cluster gets: Kubernetes policy, tenancy and OIDC RBAC; never what needs Bulwark's nodes (runtime, os). */
export const EXISTING_CLUSTER_LAYERS: readonly Layer[] = ['kubernetes', 'tenancy', 'auth'];

/** The rendered objects (cluster-wide and per tenant) whose controls belong to `layers`. */
export function objectsInLayers(plan: ClusterPlan, catalogue: readonly Control[], layers: readonly Layer[]): { objects: Set<K8sObject>; dropped: string[] } {
  const layerOf = new Map(catalogue.map((c) => [c.id, c.layer]));
  const objects = new Set<K8sObject>();
  const dropped: string[] = [];
  for (const o of [...plan.objects, ...plan.tenantObjects]) {
    const layer = layerOf.get(o.control);
    if (layer && layers.includes(layer)) objects.add(o.object);
    else dropped.push(`${objectKey(o.object)} (${o.control})`);
  }
  return { objects, dropped };
}
