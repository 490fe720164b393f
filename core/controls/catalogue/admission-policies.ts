/**
 * Tenancy layer, cluster-wide: ValidatingAdmissionPolicies in native CEL (no extra admission
 * controller to run). Each applies to tenant namespaces (label bulwark.dev/tenant) and exempts
 * platform admins where the policy says so. Exemptions name exact identities: never a prefix
 * such as `system:`, which every service account carries (a tenant's own included).
 */
import { DEPLOYER_USER } from '../../secrets/deployer-client';
import { prefixedGroupList } from '../../auth/groups';
import { CONTROL_ANNOTATION, K8sObject, MANAGED_BY, TENANT_LABEL } from '../../render/k8s';
import type { Control, ControlContext } from '../types';
import { NODE_ROLE_PREFIX, POOL_LABEL_PREFIX } from './node-pools';
import { sandboxOf } from './runtime';
import { NODE_SELECTOR_ANNOTATION, SERVICE_TYPES_ANNOTATION } from './tenancy';

const SHARED = ['multi-team', 'hostile-multi-tenant'] as const;
const ALL = ['single-team', ...SHARED] as const;

interface PolicySpec {
  name: string;
  control: string;
  resources: { apiGroups: string[]; apiVersions: string[]; resources: string[]; operations: string[] }[];
  validations: { expression: string; message: string; reason?: string }[];
  /** Platform admins may do what the policy forbids tenants. */
  exemptAdmins: boolean;
  /** More conditions for the policy to apply (after the admin exemption). */
  matchConditions?: { name: string; expression: string }[];
  variables?: { name: string; expression: string }[];
  /**
   * Bind to every namespace rather than to those carrying the tenant label: for a policy on
   * Namespaces themselves, whose new labels decide a namespaceSelector (an update that drops
   * the tenant label would otherwise escape the policy guarding that label).
   */
  allNamespaces?: boolean;
}

/**
 * Identities that run the platform, exempt from the namespace-label policy besides the platform
 * admin groups: the deployer (`pulumi up`) and the break-glass group, which can delete any
 * policy anyway. Exact names only.
 */
/** The program's own identity (core/secrets/deployer-client.ts) writes namespace labels; nobody else below the admins. */
export const PLATFORM_USERS = [DEPLOYER_USER];
export const PLATFORM_GROUPS = ['system:masters'];

function adminExemption(ctx: ControlContext): { name: string; expression: string }[] {
  const groups = prefixedGroupList(ctx.stack.oidc, ctx.stack.oidc?.platformAdminGroups ?? []);
  if (!groups.length) return [];
  return [{ name: 'not-platform-admin', expression: `!request.userInfo.groups.exists(g, g in ${JSON.stringify(groups)})` }];
}

export function policy(ctx: ControlContext, p: PolicySpec): K8sObject[] {
  const name = `bulwark-${p.name}`;
  const meta = { labels: { ...MANAGED_BY }, annotations: { [CONTROL_ANNOTATION]: p.control } };
  const actions = ctx.profile.settings.audit === 'strict' ? ['Deny', 'Audit'] : ['Deny'];
  const conditions = [...(p.exemptAdmins ? adminExemption(ctx) : []), ...(p.matchConditions ?? [])];
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name, ...meta },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: p.resources.map((r) => ({ ...r })) },
        ...(conditions.length ? { matchConditions: conditions } : {}),
        ...(p.variables ? { variables: p.variables } : {}),
        validations: p.validations.map((v) => ({ reason: 'Forbidden', ...v })),
      },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name, ...meta },
      spec: {
        policyName: name,
        validationActions: actions,
        ...(p.allNamespaces ? {} : { matchResources: { namespaceSelector: { matchExpressions: [{ key: TENANT_LABEL, operator: 'Exists' }] } } }),
      },
    },
  ];
}

const hasTenantLabel = (o: string) => `(has(${o}.metadata.labels) && '${TENANT_LABEL}' in ${o}.metadata.labels)`;

/**
 * CEL for "a tenant pod targets no node that is not its own". Guarded keys are the pool prefix
 * and the control plane's role prefix; a pod may name a guarded key=value only when it is one of
 * its namespace's dedicated-node pairs (the bulwark.dev/node-selector annotation, which tenants
 * cannot change). Excluding nodes (NotIn, DoesNotExist) stays allowed. matchFields and
 * kubernetes.io/hostname stay allowed too (DaemonSet pods carry them): a named node that is not
 * the tenant's is still behind a taint the tenant may not tolerate.
 */
const guarded = (k: string) => `(${k}.startsWith('${POOL_LABEL_PREFIX}') || ${k}.startsWith('${NODE_ROLE_PREFIX}'))`;
const ownPair = (k: string, v: string) => `(${k} + '=' + ${v}) in variables.ownPool`;
const termOk = (t: string) =>
  `(!has(${t}.matchExpressions) || ${t}.matchExpressions.all(e, !${guarded('e.key')} || e.operator in ['NotIn', 'DoesNotExist'] || ` +
  `(e.operator == 'In' && has(e.values) && e.values.all(v, ${ownPair('e.key', 'v')}))))`;
const NODE_AFFINITY = 'object.spec.affinity.nodeAffinity';
export const NODE_ISOLATION_RULES = {
  ownPool:
    `has(namespaceObject.metadata.annotations) && '${NODE_SELECTOR_ANNOTATION}' in namespaceObject.metadata.annotations ? ` +
    `namespaceObject.metadata.annotations['${NODE_SELECTOR_ANNOTATION}'].split(',') : []`,
  // The scheduler binds through pods/binding; a tenant naming the node skips the scheduler and its taints.
  nodeName: "request.operation != 'CREATE' || !has(object.spec.nodeName) || object.spec.nodeName == ''",
  nodeSelector: `!has(object.spec.nodeSelector) || object.spec.nodeSelector.all(k, !${guarded('k')} || ${ownPair('k', 'object.spec.nodeSelector[k]')})`,
  affinity:
    `!has(object.spec.affinity) || !has(object.spec.affinity.nodeAffinity) || (` +
    `(!has(${NODE_AFFINITY}.requiredDuringSchedulingIgnoredDuringExecution) || ${NODE_AFFINITY}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.all(t, ${termOk('t')})) && ` +
    `(!has(${NODE_AFFINITY}.preferredDuringSchedulingIgnoredDuringExecution) || ${NODE_AFFINITY}.preferredDuringSchedulingIgnoredDuringExecution.all(p, ${termOk('p.preference')})))`,
  // An empty key with Exists tolerates every taint; Exists on a pool key tolerates every pool.
  tolerations:
    `!has(object.spec.tolerations) || object.spec.tolerations.all(t, has(t.key) && t.key != '' && !t.key.startsWith('${NODE_ROLE_PREFIX}') && ` +
    `(!t.key.startsWith('${POOL_LABEL_PREFIX}') || ((!has(t.operator) || t.operator == 'Equal') && ${ownPair('t.key', "(has(t.value) ? t.value : '')")})))`,
};

const PODS = [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'] }];
const SERVICES = [{ apiGroups: [''], apiVersions: ['v1'], resources: ['services'], operations: ['CREATE', 'UPDATE'] }];
const hasTenants = (ctx: ControlContext) => ctx.stack.tenants.length > 0;

export const admissionPolicyControls: Control[] = [
  {
    id: 'tenancy.admission.service-types',
    layer: 'tenancy',
    title: 'Tenants get no NodePort or LoadBalancer Services unless allowed',
    threat: 'A NodePort opens a port on every node, a LoadBalancer an address outside the cluster: both bypass ingress controls and network policy at the edge.',
    references: { nsa: ['Network separation and hardening'] },
    requiredBy: [...SHARED],
    appliesTo: hasTenants,
    contribute: (ctx) => ({
      objects: policy(ctx, {
        name: 'tenant-service-types',
        control: 'tenancy.admission.service-types',
        resources: SERVICES,
        exemptAdmins: true,
        validations: [
          {
            expression:
              `!has(object.spec.type) || object.spec.type == 'ClusterIP' || ` +
              `(has(namespaceObject.metadata.annotations) && '${SERVICE_TYPES_ANNOTATION}' in namespaceObject.metadata.annotations && ` +
              `object.spec.type in namespaceObject.metadata.annotations['${SERVICE_TYPES_ANNOTATION}'].split(','))`,
            message: 'this tenant may not create NodePort or LoadBalancer Services',
          },
        ],
      }),
    }),
  },
  {
    id: 'tenancy.admission.no-external-ips',
    layer: 'tenancy',
    title: 'No Service externalIPs for tenants (CVE-2020-8554)',
    threat: 'A Service with externalIPs intercepts traffic meant for any address, including other tenants\' and external services (CVE-2020-8554).',
    references: { cis: ['1.2.3'], other: ['CVE-2020-8554'] },
    requiredBy: [...ALL],
    appliesTo: hasTenants,
    contribute: (ctx) => ({
      objects: policy(ctx, {
        name: 'no-external-ips',
        control: 'tenancy.admission.no-external-ips',
        resources: SERVICES,
        exemptAdmins: false,
        validations: [{ expression: '!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0', message: 'Service externalIPs are not allowed (CVE-2020-8554)' }],
      }),
    }),
  },
  {
    id: 'tenancy.admission.no-host-access',
    layer: 'tenancy',
    title: 'No hostPath volumes, host namespaces or host ports in tenant pods, even under baseline pod security',
    threat: 'hostPath, hostNetwork, hostPID, hostIPC and hostPort give a pod the node\'s files, network or processes: a direct route to node takeover.',
    references: { cis: ['5.2.3', '5.2.4', '5.2.5', '5.2.11', '5.2.12'], pss: ['baseline: HostPath Volumes', 'baseline: Host Namespaces', 'baseline: Host Ports'] },
    requiredBy: [...ALL],
    appliesTo: hasTenants,
    contribute: (ctx) => ({
      objects: policy(ctx, {
        name: 'no-host-access',
        control: 'tenancy.admission.no-host-access',
        resources: PODS,
        exemptAdmins: true,
        validations: [
          { expression: '!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))', message: 'hostPath volumes are not allowed in tenant namespaces' },
          {
            expression: '!(has(object.spec.hostNetwork) && object.spec.hostNetwork) && !(has(object.spec.hostPID) && object.spec.hostPID) && !(has(object.spec.hostIPC) && object.spec.hostIPC)',
            message: 'host namespaces (hostNetwork, hostPID, hostIPC) are not allowed in tenant namespaces',
          },
          {
            expression:
              'object.spec.containers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0)) && ' +
              '(!has(object.spec.initContainers) || object.spec.initContainers.all(c, !has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0)))',
            message: 'hostPort is not allowed in tenant namespaces',
          },
        ],
      }),
    }),
  },
  {
    id: 'tenancy.admission.sandbox-required',
    layer: 'tenancy',
    title: 'Tenant pods must run in the sandboxed RuntimeClass',
    threat: 'One tenant pod left on the shared-kernel runtime is enough for a kernel exploit to reach the node and every other tenant.',
    references: { nsa: ['Kubernetes Pod security: hardening container environments'] },
    requiredBy: ['hostile-multi-tenant'],
    appliesTo: (ctx) => hasTenants(ctx) && sandboxOf(ctx) !== undefined,
    contribute: (ctx) => {
      const rc = sandboxOf(ctx)!.runtimeClass;
      return {
        objects: policy(ctx, {
          name: 'sandbox-required',
          control: 'tenancy.admission.sandbox-required',
          resources: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'] }],
          exemptAdmins: true,
          validations: [{ expression: `has(object.spec.runtimeClassName) && object.spec.runtimeClassName == '${rc}'`, message: `tenant pods must set runtimeClassName: ${rc}` }],
        }),
      };
    },
  },
  {
    id: 'tenancy.admission.user-namespaces',
    layer: 'tenancy',
    title: 'Tenant pods on the shared-kernel runtime run in a user namespace (hostUsers: false); sandboxed pods are isolated by the sandbox instead',
    threat: 'Container root mapped to host root turns any escape into full control of the node.',
    references: { other: ['KEP-127 user namespaces', 'google/gvisor#13303: runsc does not support user namespaces'] },
    requiredBy: ['hostile-multi-tenant'],
    appliesTo: hasTenants,
    contribute: (ctx) => {
      // The kubelet refuses a pod whose RuntimeClass handler lacks user-namespace support when it sets
      // hostUsers: false ("RuntimeClass handler runsc does not support user namespaces"): runsc has none
      // (google/gvisor#13303). So sandboxed pods must NOT ask for one; gVisor's user-space kernel is their isolation.
      const rc = sandboxOf(ctx)?.runtimeClass;
      const inUserns = 'has(object.spec.hostUsers) && object.spec.hostUsers == false';
      const sandboxed = rc ? `has(object.spec.runtimeClassName) && object.spec.runtimeClassName == '${rc}'` : undefined;
      return {
        objects: policy(ctx, {
          name: 'user-namespaces',
          control: 'tenancy.admission.user-namespaces',
          resources: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'] }],
          exemptAdmins: true,
          validations: sandboxed
            ? [
                { expression: `(${sandboxed}) || (${inUserns})`, message: `tenant pods outside RuntimeClass ${rc} must set hostUsers: false` },
                {
                  expression: `!(${sandboxed}) || !(${inUserns})`,
                  message: `pods in RuntimeClass ${rc} must not set hostUsers: false: its handler has no user-namespace support and the kubelet would refuse the pod (google/gvisor#13303); the sandbox's own kernel isolates them`,
                },
              ]
            : [{ expression: inUserns, message: 'tenant pods must set hostUsers: false' }],
        }),
      };
    },
  },
  {
    id: 'tenancy.admission.dedicated-nodes',
    layer: 'tenancy',
    title: 'Tenant pods pinned to their dedicated nodes where the tenant asks for them',
    threat: 'A tenant promised its own nodes shares them anyway when its pods drift onto shared capacity, and side channels return.',
    references: { nsa: ['Namespaces and node isolation'] },
    requiredBy: [...SHARED],
    appliesTo: (ctx) => ctx.stack.tenants.some((t) => t.dedicatedNodes),
    contribute: (ctx) => ({
      objects: policy(ctx, {
        name: 'dedicated-nodes',
        control: 'tenancy.admission.dedicated-nodes',
        resources: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'] }],
        exemptAdmins: false,
        validations: [
          {
            expression:
              `!has(namespaceObject.metadata.annotations) || !('${NODE_SELECTOR_ANNOTATION}' in namespaceObject.metadata.annotations) || ` +
              `namespaceObject.metadata.annotations['${NODE_SELECTOR_ANNOTATION}'].split(',').all(kv, has(object.spec.nodeSelector) && ` +
              `kv.split('=')[0] in object.spec.nodeSelector && object.spec.nodeSelector[kv.split('=')[0]] == kv.split('=')[1])`,
            message: 'pods in this namespace must select the tenant\'s dedicated nodes (see the namespace annotation bulwark.dev/node-selector)',
          },
        ],
      }),
    }),
  },
  {
    id: 'tenancy.admission.node-isolation',
    layer: 'tenancy',
    title: 'Tenant pods target no node that is not theirs: no other pool, no control plane, no spec.nodeName',
    threat:
      'A tenant that selects or tolerates another tenant\'s dedicated pool, names a node in spec.nodeName, or tolerates the control-plane taint ' +
      'shares hardware it was promised it would not, or runs next to etcd and the API server\'s keys.',
    references: { nsa: ['Namespaces and node isolation'] },
    requiredBy: [...SHARED],
    appliesTo: hasTenants,
    contribute: (ctx) => ({
      objects: policy(ctx, {
        name: 'node-isolation',
        control: 'tenancy.admission.node-isolation',
        resources: PODS,
        exemptAdmins: true,
        variables: [{ name: 'ownPool', expression: NODE_ISOLATION_RULES.ownPool }],
        validations: [
          { expression: NODE_ISOLATION_RULES.nodeName, message: 'tenant pods may not set spec.nodeName; let the scheduler place them' },
          {
            expression: NODE_ISOLATION_RULES.nodeSelector,
            message: `tenant pods may select ${POOL_LABEL_PREFIX} labels only of their own dedicated pool (namespace annotation ${NODE_SELECTOR_ANNOTATION}) and no ${NODE_ROLE_PREFIX} label`,
          },
          {
            expression: NODE_ISOLATION_RULES.affinity,
            message: `tenant pods may require or prefer ${POOL_LABEL_PREFIX} labels only of their own dedicated pool and no ${NODE_ROLE_PREFIX} label (NotIn and DoesNotExist are allowed)`,
          },
          {
            expression: NODE_ISOLATION_RULES.tolerations,
            message: `tenant pods may not tolerate every taint (empty key) or a ${NODE_ROLE_PREFIX} (control-plane) taint, and tolerate a ${POOL_LABEL_PREFIX} taint only of their own pool, with operator Equal`,
          },
        ],
      }),
    }),
  },
  {
    id: 'tenancy.admission.namespace-labels',
    layer: 'tenancy',
    title: 'Tenants cannot change their namespace\'s labels or annotations',
    threat:
      'A tenant that relabels its namespace lowers its own pod-security level, leaves the tenant policies\' selector (removing the tenant label), ' +
      'or lifts its node pinning; an exemption by prefix (system:) would let any service account, a tenant\'s own included, do it.',
    references: { pss: ['namespace labels'] },
    requiredBy: [...ALL],
    appliesTo: hasTenants,
    contribute: (ctx) => ({
      objects: policy(ctx, {
        name: 'namespace-labels',
        control: 'tenancy.admission.namespace-labels',
        resources: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['UPDATE'] }],
        exemptAdmins: true,
        allNamespaces: true,
        matchConditions: [
          // Old or new labels: removing the tenant label is itself a change this policy forbids.
          { name: 'tenant-namespace', expression: `${hasTenantLabel('oldObject')} || ${hasTenantLabel('object')}` },
          {
            name: 'not-platform-identity',
            expression: `!(request.userInfo.username in ${JSON.stringify(PLATFORM_USERS)} || request.userInfo.groups.exists(g, g in ${JSON.stringify(PLATFORM_GROUPS)}))`,
          },
        ],
        validations: [
          {
            expression:
              '((has(object.metadata.labels) ? object.metadata.labels : {}) == (has(oldObject.metadata.labels) ? oldObject.metadata.labels : {}) && ' +
              '(has(object.metadata.annotations) ? object.metadata.annotations : {}) == (has(oldObject.metadata.annotations) ? oldObject.metadata.annotations : {}))',
            message: `only platform admins and the platform's own identities (${[...PLATFORM_USERS, ...PLATFORM_GROUPS].join(', ')}) may change the labels or annotations of a tenant namespace`,
          },
        ],
      }),
    }),
  },
];
