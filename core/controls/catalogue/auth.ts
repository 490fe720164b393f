/** Authentication layer: OIDC through structured authentication, group RBAC, the deployer's own identity, break-glass admin. */
import { authenticationConfiguration } from '../../auth/authentication';
import { BREAK_GLASS_GROUP, BREAK_GLASS_REASON_PREFIX, BREAK_GLASS_USER_PREFIX } from '../../auth/break-glass';
import { DEPLOYER_ROLE, deployerObjects } from '../../auth/deployer';
import { prefixedGroupList } from '../../auth/groups';
import { DEPLOYER_GROUP, DEPLOYER_USER } from '../../secrets/deployer-client';
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
    id: 'auth.deployer.own-identity',
    layer: 'auth',
    title: 'The program applies Kubernetes objects as its own RBAC-bound identity (bulwark:deployer), not system:masters',
    threat: 'A deploy identity in system:masters bypasses authorization, cannot be revoked, and looks like every other admin in the audit log, so a leaked deploy credential and a deploy cannot be told apart.',
    references: { cis: ['5.1.1'], other: ['Kubernetes RBAC: privilege escalation prevention (bind, escalate)'] },
    requiredBy: [...ALL],
    contribute: (ctx) => ({
      controlPlane: {
        inlineManifests: [{ name: 'bulwark-deployer', objects: deployerObjects('auth.deployer.own-identity', { installsCilium: ctx.stack.cluster.cni === 'cilium', backup: !!ctx.stack.backup }) }],
      },
      notes: [
        `The program authenticates as ${DEPLOYER_USER} (group ${DEPLOYER_GROUP}): a client certificate signed offline by the cluster's Kubernetes CA for one UTC day (valid 49 hours at most, the same bytes all day), bound by ClusterRole ${DEPLOYER_ROLE} to the kinds Bulwark renders. Talos creates that role and binding (an inline manifest on the control planes, created when missing; \`talosctl upgrade-k8s\` updates them), so they exist before the program applies anything and the program cannot delete its own access.`,
        'The deployer holds bind and escalate (it binds cluster-admin for the platform admins and writes the tenant roles), so it can grant anything: it is a distinct, revocable, audited identity, not a less powerful one. It reads no Secret and execs into no pod without an RBAC change the audit log shows.',
      ],
    }),
  },
  {
    id: 'auth.breakglass.short-lived-admin',
    layer: 'auth',
    title: 'Break-glass only on demand: a certificate per person and reason, its lifetime capped by the profile',
    threat: 'A client-certificate admin credential cannot be revoked before it expires; a long-lived or shared one is a skeleton key whose use the audit log cannot attribute.',
    references: { cis: ['3.1.1', '5.1.1'] },
    requiredBy: [...ALL],
    contribute: (ctx) => ({
      controlPlane: { adminKubeconfigCertLifetime: ctx.stack.cluster.breakGlassCertLifetime },
      notes: [
        `Break-glass is minted on demand by \`npm run break-glass -- --stack <stack> --person <name> --reason <text>\`: a client certificate from the Kubernetes CA for CN=${BREAK_GLASS_USER_PREFIX}<person>, groups system:masters, ${BREAK_GLASS_GROUP} and ${BREAK_GLASS_REASON_PREFIX}<reason>, so each request it makes names the person and the reason in the audit log. Default lifetime ${ctx.stack.cluster.breakGlassCertLifetime} (cluster.breakGlassCertLifetime); profile ${ctx.profile.name} caps it at ${ctx.profile.settings.breakGlassMaxLifetime} (breakGlassMaxLifetime). It is system:masters: nothing revokes it before it expires.`,
        `The talosconfig (O=os:admin, re-issued each quarter and valid to the end of the next) is itself a root credential: \`talosctl kubeconfig\` mints a CN=admin, O=system:masters kubeconfig (valid ${ctx.stack.cluster.breakGlassCertLifetime}, Talos's adminKubeconfig.certLifetime) and the Talos API can read and change every node. Whoever holds it or the secrets bundle (which holds the CAs) holds the cluster; keep both where the state is.`,
      ],
    }),
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
