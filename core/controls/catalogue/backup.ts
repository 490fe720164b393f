/**
 * Kubernetes layer, etcd: scheduled, encrypted snapshots (bulwark:backup; core/render/backup.ts renders the job).
 * Required by every profile where the stack configures a backup; a stack without `bulwark:backup` has nothing
 * for it to act on. What makes the chain whole: the control planes grant the job's namespace the os:etcd:backup
 * role only (this contribution), Talos creates that namespace and the deployer's Role there (core/auth/deployer.ts),
 * and the program applies the job and, from the decrypted stack secrets, its S3 Secret (components/program.ts).
 */
import type { ConfigPath, Control } from '../types';
import { BACKUP_ACCESS, BACKUP_CONTROL, backupObjects } from '../../render/backup';

export const backupControls: Control[] = [
  {
    id: BACKUP_CONTROL,
    layer: 'kubernetes',
    title: 'Scheduled etcd snapshots, age-encrypted, to S3, by a job that may only take snapshots',
    threat: 'A cluster that loses its etcd quorum or its data with no restorable snapshot loses every object; a backup job with a broader Talos credential is a way into the nodes.',
    references: { other: ['Talos: talos-backup, scheduled etcd snapshots to S3', 'Talos: Kubernetes Talos API access (os:etcd:backup)', 'etcd: disaster recovery'] },
    requiredBy: ['single-team', 'multi-team', 'hostile-multi-tenant'],
    appliesTo: (ctx) => !!ctx.stack.backup,
    contribute: (ctx) => ({
      controlPlane: { talosApiAccess: BACKUP_ACCESS },
      objects: backupObjects(ctx.stack, ctx.stack.backup!).filter((o) => o.kind !== 'Namespace'),
      notes: [
        `Control planes allow Talos API access from Kubernetes for role ${BACKUP_ACCESS.allowedRoles.join(', ')} from namespace ${BACKUP_ACCESS.allowedKubernetesNamespaces.join(', ')} only ` +
          '(contract 1.13: machine.features.kubernetesTalosAPIAccess; 1.14: KubeTalosAPIAccessConfig). Judged: talosctl validate --strict v1.13.9 and v1.14.1 accept it and refuse an unknown role (test/backup.test.ts, test/talos/validate.test.ts).',
        'The snapshot path is judged by real systems (test/e2e/backup.test.ts): a snapshot of a real etcd 3.6.16 through the Maintenance API, age-encrypted and uploaded to an S3 server on loopback (gofakes3), restored with etcdutl and served by kube-apiserver v1.36.3 with the stack\'s flags (every object back, Secrets still encrypted at rest). talos-backup itself and `talosctl bootstrap --recover-from` need a Talos node and are not run.',
        'The S3 credentials reach the cluster only as the Secret etcd-backup-s3, registered by the program from the decrypted stack secrets (secret in state); rendered files never hold them.',
      ],
    }),
    ownsPaths: (ctx, node): ConfigPath[] =>
      node.role !== 'controlplane' ? [] : ctx.stack.cluster.contract === '1.13' ? [{ doc: 'v1alpha1', path: ['machine', 'features', 'kubernetesTalosAPIAccess'] }] : [{ doc: 'KubeTalosAPIAccessConfig', path: [] }],
  },
];
