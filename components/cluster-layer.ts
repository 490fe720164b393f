/**
 * bulwark:k8s:ClusterLayer — the Kubernetes side: a provider for the cluster, every rendered
 * cluster-wide object as a typed resource, in dependency order, and one ConfigGroup per
 * tenant, so a change to one tenant touches only that tenant's resources.
 *
 * Cluster-wide object names are objectKey (kind/namespace/name): stable, whatever else the
 * stack holds. Their ordering is explicit (core/ops/k8s.ts): a Namespace before what lives in
 * it, a policy before its binding, a ClusterRole before bindings to it, a RuntimeClass before
 * what names it.
 *
 * A tenant's objects (its Namespace, quota, limits, network policies, bindings) are one
 * `kubernetes:yaml/v2:ConfigGroup`: the provider registers each object as its own typed child
 * (a preview still lists `kubernetes:core/v1:ResourceQuota tenant-team-c-team-c/tenant-quota`
 * on its own), applies the Namespace before the objects that live in it, and registers them
 * only once the group's dependencies exist: every cluster-wide object (admission policies are
 * in force before the first tenant namespace exists). One registration per tenant instead of one per object is what keeps a
 * 500-tenant stack's program inside its time and memory budget (bench/program.bench.ts):
 * the Pulumi SDK keeps every output of every resource in memory as a chain of promises.
 */
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import { objectDependencies, resourceName } from '../core/ops/k8s';
import { K8sObject, objectKey } from '../core/render/k8s';

type Ctor = new (name: string, args: never, opts?: pulumi.CustomResourceOptions) => pulumi.CustomResource;

/** Kinds Bulwark renders → their typed @pulumi/kubernetes class ("apiVersion kind"); any other kind is a CustomResource. */
const TYPED: Record<string, Ctor> = {
  'v1 Namespace': k8s.core.v1.Namespace as unknown as Ctor,
  'v1 ResourceQuota': k8s.core.v1.ResourceQuota as unknown as Ctor,
  'v1 LimitRange': k8s.core.v1.LimitRange as unknown as Ctor,
  'v1 ServiceAccount': k8s.core.v1.ServiceAccount as unknown as Ctor,
  'v1 ConfigMap': k8s.core.v1.ConfigMap as unknown as Ctor,
  'node.k8s.io/v1 RuntimeClass': k8s.node.v1.RuntimeClass as unknown as Ctor,
  'rbac.authorization.k8s.io/v1 ClusterRole': k8s.rbac.v1.ClusterRole as unknown as Ctor,
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding': k8s.rbac.v1.ClusterRoleBinding as unknown as Ctor,
  'rbac.authorization.k8s.io/v1 Role': k8s.rbac.v1.Role as unknown as Ctor,
  'rbac.authorization.k8s.io/v1 RoleBinding': k8s.rbac.v1.RoleBinding as unknown as Ctor,
  'networking.k8s.io/v1 NetworkPolicy': k8s.networking.v1.NetworkPolicy as unknown as Ctor,
  'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy': k8s.admissionregistration.v1.ValidatingAdmissionPolicy as unknown as Ctor,
  'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding': k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding as unknown as Ctor,
};

/** Registers objects in dependency order; each waits for the objects it needs. Returns them by key. */
function registerObjects(objects: K8sObject[], opts: pulumi.CustomResourceOptions): Map<string, pulumi.CustomResource> {
  const keys = new Set(objects.map(objectKey));
  const pending = new Map(objects.map((o) => [objectKey(o), o]));
  const known = new Map<string, pulumi.CustomResource>();
  const make = (o: K8sObject, stack: string[]): pulumi.CustomResource => {
    const key = objectKey(o);
    const existing = known.get(key);
    if (existing) return existing;
    if (stack.includes(key)) throw new Error(`dependency cycle among rendered objects: ${[...stack, key].join(' → ')}`);
    const dependsOn = objectDependencies(o, keys).map((k) => make(pending.get(k)!, [...stack, key]));
    const ctor = TYPED[`${o.apiVersion} ${o.kind}`];
    const res = ctor
      ? new ctor(resourceName(o), o as never, { ...opts, dependsOn })
      : new k8s.apiextensions.CustomResource(resourceName(o), o as unknown as k8s.apiextensions.CustomResourceArgs, { ...opts, dependsOn });
    known.set(key, res);
    return res;
  };
  for (const o of objects) make(o, []);
  return known;
}

/**
 * The tenant's objects as a ConfigGroup's `objs`, checked for what a ConfigGroup can order: it
 * applies Namespaces first and honours dependsOn on the group, nothing else implicitly. An
 * object that needs another object of the same tenant (other than its Namespace) would need
 * an explicit `config.kubernetes.io/depends-on`: refuse rather than apply out of order.
 */
export function tenantObjects(tenant: string, objects: K8sObject[]): K8sObject[] {
  const keys = new Set(objects.map(objectKey));
  for (const o of objects) {
    const inner = objectDependencies(o, keys).filter((k) => !k.startsWith('Namespace/'));
    if (inner.length) throw new Error(`tenant ${tenant}: ${objectKey(o)} must be applied after ${inner.join(', ')} of the same tenant, which a ConfigGroup does not order by itself`);
  }
  return objects;
}

export interface ClusterLayerArgs {
  /** Admin kubeconfig (secret). */
  kubeconfig: pulumi.Input<string>;
  /** Fixed identity of the cluster: the provider is replaced only if this changes. */
  clusterIdentifier: string;
  /** Cluster-wide objects, in apply order. */
  objects: K8sObject[];
  /** Per-tenant objects. */
  tenants: Map<string, K8sObject[]>;
  /** What the provider waits for (bootstrap, node resets on destroy). */
  dependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
}

export class ClusterLayer extends pulumi.ComponentResource {
  readonly provider: k8s.Provider;
  /** Cluster-wide objects, by key (kind/namespace/name). */
  readonly resources: Map<string, pulumi.CustomResource>;
  /** Each tenant's objects, by tenant name. */
  readonly tenants: Map<string, k8s.yaml.v2.ConfigGroup>;

  constructor(name: string, args: ClusterLayerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('bulwark:k8s:ClusterLayer', name, {}, opts);
    this.provider = new k8s.Provider(
      `${name}-kubernetes`,
      { kubeconfig: pulumi.secret(args.kubeconfig), clusterIdentifier: args.clusterIdentifier, enableServerSideApply: true, deleteUnreachable: false },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.resources = registerObjects(args.objects, { parent: this, provider: this.provider, deleteBeforeReplace: true });
    this.tenants = new Map();
    // Every tenant waits for every cluster-wide object: admission policies are in force before the first tenant namespace exists.
    const clusterWide = [...this.resources.values()];
    for (const [tenant, objects] of args.tenants)
      this.tenants.set(
        tenant,
        new k8s.yaml.v2.ConfigGroup(`tenant-${tenant}`, { objs: tenantObjects(tenant, objects) }, { parent: this, provider: this.provider, dependsOn: clusterWide }),
      );
    this.registerOutputs({});
  }
}
