/**
 * What the program's own identity (bulwark:deployer, core/secrets/deployer-client.ts) may do:
 * write the kinds of object Bulwark renders, and nothing else. It holds `bind` and `escalate`
 * because it creates bindings to cluster-admin and view and the tenant roles (which grant what
 * it does not hold itself, such as reading Secrets or exec into pods); so in effect it can grant
 * anyone anything, as any tool that manages RBAC can. What it is not: system:masters, which the
 * authorizer never asks RBAC about and nothing can revoke. The deployer is a named user in the
 * audit log, revoked by deleting its ClusterRoleBinding, and it reads no Secret and execs into
 * no pod without first writing an RBAC change the audit log shows.
 *
 * Talos creates these two objects (an inline manifest of the control planes: Talos creates what
 * is missing at bootstrap and whenever the manifests change, and `talosctl upgrade-k8s` updates
 * them), so the deployer can act before anything else exists. They are not program-managed
 * objects: the program must not be able to delete its own access halfway through a destroy.
 */
import { DEPLOYER_GROUP } from '../secrets/deployer-client';
import { CONTROL_ANNOTATION, K8sObject, MANAGED_BY } from '../render/k8s';
import { BACKUP_NAMESPACE, backupNamespace } from '../render/backup';

export const DEPLOYER_ROLE = 'bulwark:deployer';
const WRITE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

/** API group → resources the deployer writes: every kind the catalogue renders. */
export const DEPLOYER_RESOURCES: Record<string, string[]> = {
  '': ['namespaces', 'resourcequotas', 'limitranges', 'serviceaccounts', 'configmaps'],
  'rbac.authorization.k8s.io': ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'],
  'networking.k8s.io': ['networkpolicies'],
  'node.k8s.io': ['runtimeclasses'],
  'admissionregistration.k8s.io': ['validatingadmissionpolicies', 'validatingadmissionpolicybindings'],
};

/**
 * With cluster.cni: cilium the deployer installs the Cilium chart, which writes workloads,
 * services and Secrets (Helm's release records, Cilium's CA) in kube-system: granted there only,
 * by a Role, never cluster-wide. The chart's cluster roles fall under bind/escalate above.
 */
export const CILIUM_NAMESPACED: Record<string, string[]> = {
  '': ['secrets', 'services', 'configmaps', 'serviceaccounts'],
  apps: ['daemonsets', 'deployments'],
  policy: ['poddisruptionbudgets'],
  'rbac.authorization.k8s.io': ['roles', 'rolebindings'],
};

/**
 * With bulwark:backup the deployer writes the etcd backup job, its Talos credential request and its S3
 * Secret: in the job's namespace only (a Role; that namespace comes with it, core/render/backup.ts).
 */
export const BACKUP_NAMESPACED: Record<string, string[]> = { '': ['secrets'], batch: ['cronjobs'], 'talos.dev': ['serviceaccounts'] };

export function deployerObjects(control: string, opts: { installsCilium?: boolean; backup?: boolean } = {}): K8sObject[] {
  const meta = (name: string) => ({ name, labels: { ...MANAGED_BY }, annotations: { [CONTROL_ANNOTATION]: control } });
  const backup: K8sObject[] = opts.backup
    ? [
        backupNamespace(),
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { ...meta(`${DEPLOYER_ROLE}:etcd-backup`), namespace: BACKUP_NAMESPACE },
          rules: Object.entries(BACKUP_NAMESPACED).map(([group, resources]) => ({ apiGroups: [group], resources, verbs: WRITE })),
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { ...meta(`${DEPLOYER_ROLE}:etcd-backup`), namespace: BACKUP_NAMESPACE },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${DEPLOYER_ROLE}:etcd-backup` },
          subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: DEPLOYER_GROUP }],
        },
      ]
    : [];
  const cilium: K8sObject[] = opts.installsCilium
    ? [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { ...meta(`${DEPLOYER_ROLE}:cni`), namespace: 'kube-system' },
          rules: Object.entries(CILIUM_NAMESPACED).map(([group, resources]) => ({ apiGroups: [group], resources, verbs: WRITE })),
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { ...meta(`${DEPLOYER_ROLE}:cni`), namespace: 'kube-system' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `${DEPLOYER_ROLE}:cni` },
          subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: DEPLOYER_GROUP }],
        },
      ]
    : [];
  return [
    ...cilium,
    ...backup,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(DEPLOYER_ROLE),
      rules: [
        ...Object.entries(DEPLOYER_RESOURCES).map(([group, resources]) => ({ apiGroups: [group], resources, verbs: WRITE })),
        // Labels and taints Bulwark puts on nodes; nodes themselves are the kubelets' to create.
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'update', 'patch'] },
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'roles'], verbs: ['bind', 'escalate'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(DEPLOYER_ROLE),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: DEPLOYER_ROLE },
      subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: DEPLOYER_GROUP }],
    },
  ];
}
