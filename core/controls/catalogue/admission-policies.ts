/**
 * Tenancy layer, cluster-wide: ValidatingAdmissionPolicies in native CEL (no extra admission
 * controller to run). Each applies to tenant namespaces (label bulwark.dev/tenant) and exempts
 * platform admins where the policy says so.
 */
import { prefixedGroupList } from '../../auth/groups';
import { CONTROL_ANNOTATION, K8sObject, MANAGED_BY, TENANT_LABEL } from '../../render/k8s';
import type { Control, ControlContext } from '../types';
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
}

function adminExemption(ctx: ControlContext): { name: string; expression: string }[] {
  const groups = prefixedGroupList(ctx.stack.oidc, ctx.stack.oidc?.platformAdminGroups ?? []);
  if (!groups.length) return [];
  return [{ name: 'not-platform-admin', expression: `!request.userInfo.groups.exists(g, g in ${JSON.stringify(groups)})` }];
}

export function policy(ctx: ControlContext, p: PolicySpec): K8sObject[] {
  const name = `bulwark-${p.name}`;
  const meta = { labels: { ...MANAGED_BY }, annotations: { [CONTROL_ANNOTATION]: p.control } };
  const actions = ctx.profile.settings.audit === 'strict' ? ['Deny', 'Audit'] : ['Deny'];
  return [
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name, ...meta },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: p.resources.map((r) => ({ ...r })) },
        ...(p.exemptAdmins && adminExemption(ctx).length ? { matchConditions: adminExemption(ctx) } : {}),
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
        matchResources: { namespaceSelector: { matchExpressions: [{ key: TENANT_LABEL, operator: 'Exists' }] } },
      },
    },
  ];
}

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
    title: 'Tenant pods must run in a user namespace (hostUsers: false)',
    threat: 'Container root mapped to host root turns any escape into full control of the node.',
    references: { other: ['KEP-127 user namespaces'] },
    requiredBy: ['hostile-multi-tenant'],
    appliesTo: hasTenants,
    contribute: (ctx) => ({
      objects: policy(ctx, {
        name: 'user-namespaces',
        control: 'tenancy.admission.user-namespaces',
        resources: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'] }],
        exemptAdmins: true,
        validations: [{ expression: 'has(object.spec.hostUsers) && object.spec.hostUsers == false', message: 'tenant pods must set hostUsers: false' }],
      }),
    }),
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
    id: 'tenancy.admission.namespace-labels',
    layer: 'tenancy',
    title: 'Tenants cannot change their namespace\'s labels or annotations',
    threat: 'A tenant that relabels its namespace lowers its own pod-security level, leaves the tenant policies\' selector, or lifts its node pinning.',
    references: { pss: ['namespace labels'] },
    requiredBy: [...ALL],
    appliesTo: hasTenants,
    contribute: (ctx) => ({
      objects: policy(ctx, {
        name: 'namespace-labels',
        control: 'tenancy.admission.namespace-labels',
        resources: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['namespaces'], operations: ['UPDATE'] }],
        exemptAdmins: true,
        validations: [
          {
            expression:
              "request.userInfo.username.startsWith('system:') || " +
              '((has(object.metadata.labels) ? object.metadata.labels : {}) == (has(oldObject.metadata.labels) ? oldObject.metadata.labels : {}) && ' +
              '(has(object.metadata.annotations) ? object.metadata.annotations : {}) == (has(oldObject.metadata.annotations) ? oldObject.metadata.annotations : {}))',
            message: 'only platform admins may change the labels or annotations of a tenant namespace',
          },
        ],
      }),
    }),
  },
];
