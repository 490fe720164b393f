/**
 * bulwark:k8s:ClusterLayer — the Kubernetes side: a provider for the cluster and every rendered
 * object as a typed resource, in dependency order, each a child of this component. A tenant's
 * objects live in its namespace, so their names (Kind/<tenant>/name) say whose they are, and a
 * change to one tenant touches only that tenant's resources. No component per tenant: 500 of them
 * cost the program ~110 MB of heap while registering and nothing in function (figures:
 * bench/program.bench.ts, README).
 *
 * Resource names are objectKey (kind/namespace/name): stable, whatever else the stack holds.
 * Ordering is explicit (core/ops/k8s.ts): a Namespace before what lives in it, a policy before
 * its binding, a (Cluster)Role before bindings to it, a RuntimeClass before what names it; and a
 * tenant's objects after every cluster-wide object (admission policies are in force before the
 * first tenant namespace exists).
 *
 * Why typed resources and not a yaml/v2 ConfigGroup per tenant: a ConfigGroup is a component the
 * kubernetes provider expands at preview by asking the cluster, so once the cluster is
 * unreachable (a Talos repair while the API server is down, a CI preview without API access)
 * every preview and every `up` fails on it. A typed resource previews offline. Their cost is one
 * registration per object, kept inside the program's budget by constructing them with V8's stack
 * capture off (components/registration.ts; figures: bench/program.bench.ts, README).
 */
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import { objectDependencies, resourceName } from '../core/ops/k8s';
import { K8sObject, objectKey } from '../core/render/k8s';

/** The kinds Bulwark renders, by "apiVersion kind", and the @pulumi/kubernetes class whose type token each takes. */
const CLASSES: Record<string, object> = {
  'v1 Namespace': k8s.core.v1.Namespace,
  'v1 ResourceQuota': k8s.core.v1.ResourceQuota,
  'v1 LimitRange': k8s.core.v1.LimitRange,
  'v1 ServiceAccount': k8s.core.v1.ServiceAccount,
  'v1 ConfigMap': k8s.core.v1.ConfigMap,
  // Pool labels on nodes the kubelets registered: a server-side-apply patch of the fields Bulwark
  // sets, never the Node itself (a Node resource would delete the node on destroy).
  'v1 Node': k8s.core.v1.NodePatch,
  'node.k8s.io/v1 RuntimeClass': k8s.node.v1.RuntimeClass,
  'rbac.authorization.k8s.io/v1 ClusterRole': k8s.rbac.v1.ClusterRole,
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding': k8s.rbac.v1.ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1 Role': k8s.rbac.v1.Role,
  'rbac.authorization.k8s.io/v1 RoleBinding': k8s.rbac.v1.RoleBinding,
  'networking.k8s.io/v1 NetworkPolicy': k8s.networking.v1.NetworkPolicy,
  'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy': k8s.admissionregistration.v1.ValidatingAdmissionPolicy,
  'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding': k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding,
};

/**
 * A rendered object as a typed resource: the class's type token and exactly the object's fields as
 * inputs. Not the class itself: its constructor adds an output for every field of the kind (status
 * too) and aliases to old API versions Bulwark never used, and at 3,500 objects that is a quarter
 * of the program's memory (bench/program.bench.ts). The engine and the provider see the same
 * registration either way (type, name, inputs, provider).
 */
class KubernetesObject extends pulumi.CustomResource {
  constructor(type: string, name: string, object: K8sObject, opts: pulumi.CustomResourceOptions) {
    super(type, name, object as unknown as pulumi.Inputs, opts);
  }
}

/**
 * Registers `objects` in dependency order; each waits for the objects it needs, among these and
 * the already registered `known` (which it extends, by key). An object that needs none of these
 * waits for `after` instead, so every object of the group is created after `after`. The keys it
 * can depend on are looked up in `known` and this group, never copied: a copy of known's keys per
 * tenant made registration quadratic in tenants.
 */
function registerObjects(
  objects: K8sObject[],
  opts: pulumi.CustomResourceOptions,
  known: Map<string, pulumi.CustomResource>,
  after: pulumi.Resource[] = [],
): pulumi.CustomResource[] {
  const pending = new Map(objects.map((o) => [objectKey(o), o]));
  const keys = { has: (k: string) => known.has(k) || pending.has(k) };
  const mine = new Set(pending.keys());
  const make = (o: K8sObject, stack: string[]): pulumi.CustomResource => {
    const key = objectKey(o);
    const existing = known.get(key);
    if (existing) return existing;
    if (stack.includes(key)) throw new Error(`dependency cycle among rendered objects: ${[...stack, key].join(' → ')}`);
    const needs = objectDependencies(o, keys);
    const dependsOn = needs.map((k) => known.get(k) ?? make(pending.get(k)!, [...stack, key]));
    const cls = CLASSES[`${o.apiVersion} ${o.kind}`] as { __pulumiType: string } | undefined; // the SDK's own token, not declared in its types
    const options = { ...opts, dependsOn: needs.some((k) => mine.has(k)) ? dependsOn : [...dependsOn, ...after] };
    const res = cls
      ? new KubernetesObject(cls.__pulumiType, resourceName(o), o, options)
      : new k8s.apiextensions.CustomResource(resourceName(o), o as unknown as k8s.apiextensions.CustomResourceArgs, options);
    known.set(key, res);
    return res;
  };
  return objects.map((o) => make(o, []));
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
  /** Secrets built from stack secrets (the etcd backup's S3 credentials): `stringData` registered as a secret input and output. */
  secrets?: K8sObject[];
}

export class ClusterLayer extends pulumi.ComponentResource {
  readonly provider: k8s.Provider;
  /** Every object, cluster-wide and tenants', by key (kind/namespace/name). */
  readonly resources: Map<string, pulumi.CustomResource>;
  /** Each tenant's objects (its Namespace, quota, limits, network policies, bindings), by tenant name. */
  readonly tenants: Map<string, pulumi.CustomResource[]>;

  constructor(name: string, args: ClusterLayerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('bulwark:k8s:ClusterLayer', name, {}, opts);
    this.provider = new k8s.Provider(
      `${name}-kubernetes`,
      { kubeconfig: pulumi.secret(args.kubeconfig), clusterIdentifier: args.clusterIdentifier, enableServerSideApply: true, deleteUnreachable: false },
      { parent: this, dependsOn: args.dependsOn },
    );
    this.resources = new Map();
    const objectOpts = { parent: this, provider: this.provider, deleteBeforeReplace: true };
    const clusterWide = registerObjects(args.objects, objectOpts, this.resources);
    this.tenants = new Map();
    for (const [tenant, objects] of args.tenants) this.tenants.set(tenant, registerObjects(objects, objectOpts, this.resources, clusterWide));
    for (const s of args.secrets ?? []) {
      const object = { ...s, stringData: pulumi.secret(s.stringData) } as unknown as K8sObject;
      this.resources.set(objectKey(s), new KubernetesObject((k8s.core.v1.Secret as unknown as { __pulumiType: string }).__pulumiType, resourceName(s), object, { ...objectOpts, additionalSecretOutputs: ['data', 'stringData'] }));
    }
    this.registerOutputs({});
  }
}
