/** Kubernetes layer, API policy: audit, encryption at rest, pod security defaults. */
import type { Control, ControlContext } from '../types';

const ALL = ['single-team', 'multi-team', 'hostile-multi-tenant'] as const;

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/** audit.k8s.io/v1 Policy. First matching rule wins, so the order below is the policy. */
export function auditPolicy(ctx: ControlContext): Record<string, unknown> {
  const strict = ctx.profile.settings.audit === 'strict';
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    omitStages: ['RequestReceived'],
    rules: [
      // Noisy, read-only system traffic: high volume, no security value.
      { level: 'None', users: ['system:kube-proxy'], verbs: ['watch'], resources: [{ group: '', resources: ['endpoints', 'services', 'services/status'] }, { group: 'discovery.k8s.io', resources: ['endpointslices'] }] },
      { level: 'None', userGroups: ['system:nodes'], verbs: ['get', 'list', 'watch'], resources: [{ group: '', resources: ['nodes', 'nodes/status'] }] },
      { level: 'None', users: ['system:kube-controller-manager', 'system:kube-scheduler'], verbs: ['get', 'update'], namespaces: ['kube-system'], resources: [{ group: 'coordination.k8s.io', resources: ['leases'] }] },
      { level: 'None', nonResourceURLs: ['/healthz*', '/livez*', '/readyz*', '/version', '/metrics'] },
      { level: 'None', resources: [{ group: '', resources: ['events'] }, { group: 'events.k8s.io', resources: ['events'] }] },
      // Payloads that are secrets themselves: who and when, never what.
      { level: 'Metadata', resources: [{ group: '', resources: ['secrets', 'configmaps', 'serviceaccounts/token'] }, { group: 'authentication.k8s.io', resources: ['tokenreviews'] }] },
      // Privilege changes: the full request and response.
      { level: 'RequestResponse', verbs: WRITE_VERBS, resources: [{ group: 'rbac.authorization.k8s.io' }] },
      { level: 'RequestResponse', verbs: WRITE_VERBS, resources: [{ group: '', resources: ['namespaces'] }, { group: 'admissionregistration.k8s.io' }, { group: 'node.k8s.io' }] },
      // Getting inside a running container.
      { level: 'Request', resources: [{ group: '', resources: ['pods/exec', 'pods/attach', 'pods/portforward', 'pods/ephemeralcontainers', 'nodes/proxy', 'services/proxy'] }] },
      // Every other write: with its body under the strict tier.
      { level: strict ? 'Request' : 'Metadata', verbs: WRITE_VERBS },
      { level: 'Metadata' },
    ],
  };
}

export const apiPolicyControls: Control[] = [
  {
    id: 'k8s.audit.policy',
    layer: 'kubernetes',
    title: 'Audit log: tiered policy, secrets at Metadata only, privilege changes in full, CIS retention',
    threat: 'Without an audit trail nobody can tell who read a secret, escalated a role or exec\'d into a pod; with payloads logged, the log itself leaks secrets.',
    references: { cis: ['1.2.16', '1.2.17', '1.2.18', '1.2.19', '3.2.1', '3.2.2'], nsa: ['Audit logging and threat detection'] },
    requiredBy: [...ALL],
    contribute: (ctx) => ({
      controlPlane: {
        auditPolicy: auditPolicy(ctx),
        apiServerArgs: { 'audit-log-path': '/var/log/audit/kube/kube-apiserver.log', 'audit-log-maxage': '30', 'audit-log-maxbackup': '10', 'audit-log-maxsize': '100' },
      },
    }),
  },
  {
    id: 'k8s.etcd.encryption-at-rest',
    layer: 'kubernetes',
    title: 'Secrets encrypted at rest in etcd with secretbox',
    threat: 'A copied etcd snapshot or disk gives every Secret in clear text: tokens, passwords, keys.',
    references: { cis: ['1.2.27', '1.2.28'], nsa: ['Kubernetes Pod security: secrets encryption'] },
    requiredBy: [...ALL],
    contribute: () => ({ controlPlane: { encryptedResources: ['secrets'] } }),
  },
  {
    id: 'k8s.etcd.encryption-configmaps',
    layer: 'kubernetes',
    title: 'ConfigMaps encrypted at rest too',
    threat: 'Tenants put credentials in ConfigMaps; under hostile tenancy an etcd copy must reveal none of them.',
    references: { cis: ['1.2.28'] },
    requiredBy: ['hostile-multi-tenant'],
    contribute: () => ({ controlPlane: { encryptedResources: ['configmaps'] } }),
  },
  {
    id: 'k8s.pod-security.defaults',
    layer: 'kubernetes',
    title: 'Pod Security Admission defaults for every namespace, version pinned',
    threat: 'A namespace without labels admits privileged pods; a floating "latest" version changes what is admitted under you on upgrade.',
    references: { cis: ['5.2.2', '5.2.3', '5.2.4', '5.2.5', '5.2.6'], pss: ['baseline', 'restricted'], nsa: ['Kubernetes Pod security'] },
    requiredBy: [...ALL],
    contribute: (ctx) => {
      const ps = ctx.profile.settings.podSecurity;
      const v = `v${ctx.kubernetesMinor}`;
      return {
        controlPlane: {
          admissionConfig: [
            {
              name: 'PodSecurity',
              configuration: {
                apiVersion: 'pod-security.admission.config.k8s.io/v1',
                kind: 'PodSecurityConfiguration',
                defaults: { enforce: ps.enforce, 'enforce-version': v, audit: ps.audit, 'audit-version': v, warn: ps.warn, 'warn-version': v },
                exemptions: { usernames: [], runtimeClasses: [], namespaces: ['kube-system'] },
              },
            },
          ],
        },
      };
    },
  },
];
