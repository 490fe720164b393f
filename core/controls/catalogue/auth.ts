/** Authentication layer: OIDC through structured authentication, group RBAC, break-glass admin. */
import { authenticationConfiguration } from '../../auth/authentication';
import { prefixedGroupList } from '../../auth/groups';
import { CONTROL_ANNOTATION, K8sObject, MANAGED_BY } from '../../render/k8s';
import type { Control } from '../types';

const ALL = ['single-team', 'multi-team', 'hostile-multi-tenant'] as const;

function clusterRoleBinding(name: string, role: string, groups: string[], control: string): K8sObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: { ...MANAGED_BY }, annotations: { [CONTROL_ANNOTATION]: control } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: groups.map((g) => ({ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: g })),
  };
}

export const authControls: Control[] = [
  {
    id: 'auth.oidc.structured-authentication',
    layer: 'auth',
    title: 'People authenticate through the organisation\'s identity provider (structured AuthenticationConfiguration)',
    threat: 'Shared static credentials and long-lived certificates cannot be revoked per person, are copied around, and leave no useful audit identity.',
    references: { cis: ['3.1.1', '3.1.2', '3.1.3'], nsa: ['Kubernetes authentication and authorization'] },
    requiredBy: [...ALL],
    contribute: (ctx) => ({ controlPlane: { authentication: authenticationConfiguration(ctx.stack.oidc) } }),
  },
  {
    id: 'auth.oidc.no-system-identities',
    layer: 'auth',
    title: 'Prefixed usernames and groups; tokens that would yield a system: identity are rejected',
    threat: 'An identity-provider user or group named system:masters (or any system: name) would inherit Kubernetes\' own privileges.',
    references: { cis: ['5.1.7'], other: ['KEP-3331 structured authentication configuration'] },
    requiredBy: [...ALL],
    contribute: () => ({
      notes: ['Every issuer carries username and groups prefixes and userValidationRules rejecting system: usernames and groups (rendered in auth.oidc.structured-authentication).'],
    }),
  },
  {
    id: 'auth.anonymous.health-only',
    layer: 'auth',
    title: 'Anonymous requests only for /livez, /readyz and /healthz',
    threat: 'Anonymous access to discovery and other endpoints leaks cluster information and widens the reach of RBAC mistakes bound to system:unauthenticated.',
    references: { cis: ['1.2.1'] },
    requiredBy: [...ALL],
    contribute: (ctx) => ({
      notes: [
        ctx.stack.cluster.contract === '1.14'
          ? 'Anonymous authentication is enabled only for the health endpoints through the AuthenticationConfiguration\'s anonymous.conditions.'
          : 'Contract 1.13: Talos passes --anonymous-auth=false, which cannot be combined with an anonymous block, so anonymous access is off everywhere (health endpoints need credentials too).',
      ],
    }),
  },
  {
    id: 'auth.breakglass.short-lived-admin',
    layer: 'auth',
    title: 'Break-glass admin kubeconfig only, with a short certificate lifetime',
    threat: 'A client-certificate admin credential cannot be revoked before it expires; a year-long one is a year-long skeleton key.',
    references: { cis: ['3.1.1', '5.1.1'] },
    requiredBy: [...ALL],
    contribute: (ctx) => ({ controlPlane: { adminKubeconfigCertLifetime: ctx.stack.cluster.breakGlassCertLifetime } }),
  },
  {
    id: 'auth.rbac.platform-admins',
    layer: 'auth',
    title: 'Platform admins\' OIDC groups bound to cluster-admin',
    threat: 'Without a named admin group, people fall back to the break-glass certificate for daily work.',
    references: { cis: ['5.1.1'] },
    requiredBy: [...ALL],
    appliesTo: (ctx) => (ctx.stack.oidc?.platformAdminGroups.length ?? 0) > 0,
    contribute: (ctx) => ({
      objects: [clusterRoleBinding('bulwark:platform-admins', 'cluster-admin', prefixedGroupList(ctx.stack.oidc, ctx.stack.oidc!.platformAdminGroups), 'auth.rbac.platform-admins')],
    }),
  },
  {
    id: 'auth.rbac.auditors',
    layer: 'auth',
    title: 'Auditors\' OIDC groups bound to view',
    threat: 'Auditors given broader roles "to be able to look" can change what they audit.',
    references: { cis: ['5.1.1'] },
    requiredBy: [...ALL],
    appliesTo: (ctx) => (ctx.stack.oidc?.auditorGroups.length ?? 0) > 0,
    contribute: (ctx) => ({
      objects: [clusterRoleBinding('bulwark:auditors', 'view', prefixedGroupList(ctx.stack.oidc, ctx.stack.oidc!.auditorGroups), 'auth.rbac.auditors')],
    }),
  },
];
