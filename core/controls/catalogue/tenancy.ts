/** Tenancy layer, per tenant: namespace, network policy, quotas, RBAC. */
import type { TenantConfig } from '../../config/schema';
import { prefixedGroupList } from '../../auth/groups';
import { CONTROL_ANNOTATION, K8sObject, MANAGED_BY, TENANT_LABEL } from '../../render/k8s';
import type { Control, ControlContext } from '../types';
import { networkPolicyEnforcement } from '../dependencies';

const ALL = ['single-team', 'multi-team', 'hostile-multi-tenant'] as const;
const SHARED = ['multi-team', 'hostile-multi-tenant'] as const;

export const TENANT_ADMIN_ROLE = 'bulwark:tenant-admin';
export const TENANT_NETPOL_ROLE = 'bulwark:tenant-network-admin';
/** Namespace annotations read by the cluster-wide admission policies. */
export const NODE_SELECTOR_ANNOTATION = 'bulwark.dev/node-selector';
export const SERVICE_TYPES_ANNOTATION = 'bulwark.dev/allowed-service-types';

const meta = (t: TenantConfig, name: string, control: string) => ({
  name,
  namespace: t.name,
  labels: { ...MANAGED_BY, [TENANT_LABEL]: t.name },
  annotations: { [CONTROL_ANNOTATION]: control },
});

export function tenantNamespace(ctx: ControlContext, t: TenantConfig): K8sObject {
  const ps = ctx.profile.settings.podSecurity;
  const v = `v${ctx.kubernetesMinor}`;
  const annotations: Record<string, string> = {};
  if (t.dedicatedNodes) annotations[NODE_SELECTOR_ANNOTATION] = Object.keys(t.dedicatedNodes).sort().map((k) => `${k}=${t.dedicatedNodes![k]}`).join(',');
  const allowed = ctx.profile.settings.tenantServiceTypesAllowed ? ['ClusterIP', ...t.allowServiceTypes] : ['ClusterIP'];
  annotations[SERVICE_TYPES_ANNOTATION] = allowed.join(',');
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: t.name,
      labels: {
        ...MANAGED_BY,
        [TENANT_LABEL]: t.name,
        'pod-security.kubernetes.io/enforce': ps.enforce,
        'pod-security.kubernetes.io/enforce-version': v,
        'pod-security.kubernetes.io/audit': ps.audit,
        'pod-security.kubernetes.io/audit-version': v,
        'pod-security.kubernetes.io/warn': ps.warn,
        'pod-security.kubernetes.io/warn-version': v,
      },
      annotations,
    },
  };
}

/** A namespace by its name: kubernetes.io/metadata.name is set by the API server and cannot be changed. */
const namespaceNamed = (name: string) => ({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } } });

/**
 * The stack's declared allowances for a tenant (core/config/allowances.ts), each its own policy so a
 * reviewer reads one opening per object. Tenant-to-tenant policies are rendered only with both sides'
 * consent (validation refuses one-sided declarations; this keeps the rule local too).
 */
export function allowancePolicies(t: TenantConfig, stack: ControlContext['stack']): Record<string, Record<string, unknown>> {
  const a = t.allow;
  if (!a) return {};
  const ports = (ps: { port: number; protocol: string }[]) => ps.map((p) => ({ protocol: p.protocol, port: p.port }));
  const out: Record<string, Record<string, unknown>> = {};
  if (a.fromIngress && stack.ingressNamespace)
    out['allow-from-platform-ingress'] = { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [namespaceNamed(stack.ingressNamespace)], ports: ports(a.fromIngress) }] };
  for (const e of a.egress) out[`allow-egress-${e.name}`] = { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: e.cidr } }], ports: ports(e.ports) }] };
  const consents = (other: string, theirs: 'fromTenants' | 'toTenants') => stack.tenants.find((x) => x.name === other)?.allow?.[theirs].includes(t.name) ?? false;
  for (const other of a.fromTenants)
    if (consents(other, 'toTenants')) out[`allow-from-tenant-${other}`] = { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [namespaceNamed(other)] }] };
  for (const other of a.toTenants)
    if (consents(other, 'fromTenants')) out[`allow-to-tenant-${other}`] = { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [namespaceNamed(other)] }] };
  return out;
}

function networkPolicies(t: TenantConfig, hostile: boolean, stack: ControlContext['stack']): K8sObject[] {
  const id = 'tenancy.network.default-deny';
  const np = (name: string, spec: Record<string, unknown>): K8sObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta(t, name, id), spec });
  const dnsPeer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } };
  return [
    np('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    np('allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [dnsPeer], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
    }),
    np('allow-same-namespace', {
      podSelector: {},
      policyTypes: hostile ? ['Ingress'] : ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: {} }] }],
      // Strict egress for hostile tenants: same-namespace egress is not opened wholesale;
      // tenants add their own allow rules only through the platform team.
      ...(hostile ? {} : { egress: [{ to: [{ podSelector: {} }] }] }),
    }),
    ...Object.entries(allowancePolicies(t, stack)).map(([name, spec]) => np(name, spec)),
  ];
}

export const tenancyControls: Control[] = [
  {
    id: 'tenancy.namespace.pod-security',
    layer: 'tenancy',
    title: 'A namespace per tenant with Pod Security labels at the profile\'s level, version pinned',
    threat: 'Tenants sharing a namespace share secrets and service accounts; a namespace without Pod Security labels takes the cluster default silently.',
    references: { cis: ['5.6.1', '5.2.2'], pss: ['baseline', 'restricted'], nsa: ['Namespaces'] },
    requiredBy: [...ALL],
    appliesTo: (ctx) => ctx.stack.tenants.length > 0,
    contribute: (ctx) => ({ tenantObjects: (t) => [tenantNamespace(ctx, t)] }),
  },
  {
    id: 'tenancy.network.default-deny',
    layer: 'tenancy',
    title: 'Default-deny ingress and egress per tenant, plus DNS and same-namespace traffic',
    threat: 'Pods reach every other pod and the node network by default: one compromised workload scans and attacks the whole cluster.',
    references: { cis: ['5.3.2'], nsa: ['Network separation and hardening: network policies'] },
    requiredBy: [...SHARED],
    appliesTo: (ctx) => ctx.stack.tenants.length > 0,
    contribute: (ctx) => ({
      tenantObjects: (t) => networkPolicies(t, strictEgress(ctx.profile.settings), ctx.stack),
      // Flannel alone enforces no NetworkPolicy: Talos deploys kube-network-policies beside it.
      ...(!ctx.stack.existingCluster && ctx.stack.cluster.cni === 'flannel' ? { controlPlane: { kubeNetworkPolicies: true } } : {}),
      notes: [
        'Judged here: the policies\' semantics (cyclonus: the connectivity matrix against the profile\'s claims) and their admission by the real API server. ' +
          'Not judged here: enforcement on the wire — no test runs the CNI (kube-network-policies needs nft_queue, absent on the test machines; Cilium needs a real node).',
      ],
    }),
    dependsOn: (ctx) => [networkPolicyEnforcement(ctx)],
  },
  {
    id: 'tenancy.quota.defaults',
    layer: 'tenancy',
    title: 'ResourceQuota (compute and object counts) and LimitRange per tenant',
    threat: 'One tenant exhausts CPU, memory, pods or etcd objects and denies service to every other tenant.',
    references: { nsa: ['Resource policies'] },
    requiredBy: [...SHARED],
    appliesTo: (ctx) => ctx.stack.tenants.length > 0,
    contribute: (ctx) => ({
      tenantObjects: (t) => {
        const s = ctx.profile.settings;
        const hard = sortKeys({ ...s.tenantQuota, ...(t.quota ?? {}) });
        const lim = { ...s.tenantLimits, ...(t.limits ?? {}) };
        const item: Record<string, unknown> = { type: 'Container', defaultRequest: sortKeys(lim.defaultRequest ?? {}), default: sortKeys(lim.default ?? {}) };
        if (lim.max) item.max = sortKeys(lim.max);
        return [
          { apiVersion: 'v1', kind: 'ResourceQuota', metadata: meta(t, 'tenant-quota', 'tenancy.quota.defaults'), spec: { hard } },
          { apiVersion: 'v1', kind: 'LimitRange', metadata: meta(t, 'tenant-limits', 'tenancy.quota.defaults'), spec: { limits: [item] } },
        ];
      },
    }),
  },
  {
    id: 'tenancy.rbac.tenant-admin',
    layer: 'tenancy',
    title: 'Tenant groups administer their namespace only: no quotas, limits, RBAC, or (without self-service) network policies',
    threat: 'A tenant that can edit its quota, its network policies or RBAC lifts its own limits and grants itself access to others.',
    references: { cis: ['5.1.1', '5.1.3', '5.1.8'], nsa: ['Kubernetes authentication and authorization: RBAC'] },
    requiredBy: [...ALL],
    appliesTo: (ctx) => ctx.stack.tenants.length > 0,
    contribute: (ctx) => ({
      objects: tenantRoles(),
      tenantObjects: (t) => {
        const subjects = prefixedGroupList(ctx.stack.oidc, t.groups).map((name) => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name }));
        const rb = (name: string, role: string): K8sObject => ({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: meta(t, name, 'tenancy.rbac.tenant-admin'),
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
          subjects,
        });
        return t.selfService ? [rb('tenant-admins', TENANT_ADMIN_ROLE), rb('tenant-network-admins', TENANT_NETPOL_ROLE)] : [rb('tenant-admins', TENANT_ADMIN_ROLE)];
      },
    }),
  },
];

/**
 * Whether a profile closes tenant egress beyond DNS (the hostile profile's strict egress). Tenants of
 * such a profile may not write NetworkPolicies (selfService): one allow-all egress policy of their own
 * undoes it, since NetworkPolicies only add allowed traffic.
 */
export const strictEgress = (settings: ControlContext['profile']['settings']): boolean => settings.sandboxRuntime !== 'none';

const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const READ = ['get', 'list', 'watch'];

function tenantRoles(): K8sObject[] {
  const role = (name: string, rules: unknown[]): K8sObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { ...MANAGED_BY }, annotations: { [CONTROL_ANNOTATION]: 'tenancy.rbac.tenant-admin' } },
    rules,
  });
  return [
    role(TENANT_ADMIN_ROLE, [
      { apiGroups: [''], resources: ['pods', 'services', 'configmaps', 'secrets', 'persistentvolumeclaims', 'serviceaccounts'], verbs: ALL_VERBS },
      // Endpoints and EndpointSlices read-only (CVE-2021-25740, as upstream's edit/admin since 1.22): a tenant
      // writing them points a Service, or an ingress controller acting for it, at another tenant's pods.
      { apiGroups: [''], resources: ['endpoints', 'pods/log', 'pods/status', 'events', 'resourcequotas', 'limitranges'], verbs: READ },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: READ },
      { apiGroups: [''], resources: ['pods/exec', 'pods/attach', 'pods/portforward'], verbs: ['get', 'create'] },
      { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets', 'replicasets'], verbs: ALL_VERBS },
      { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale'], verbs: ['get', 'update', 'patch'] },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ALL_VERBS },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ALL_VERBS },
      { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ALL_VERBS },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ALL_VERBS },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: READ },
      { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ },
    ]),
    role(TENANT_NETPOL_ROLE, [{ apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ALL_VERBS }]),
  ];
}

function sortKeys<T>(r: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]]));
}
