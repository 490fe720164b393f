/**
 * etcd backups the way Talos supports them (siderolabs/talos-backup): a CronJob whose pod holds a
 * Talos API credential limited to the os:etcd:backup role (a talos.dev ServiceAccount; Talos issues
 * it only in namespaces the machine config's Kubernetes Talos API access allows, for allowed roles
 * only), takes a snapshot through the Talos API (machined streams etcd's Maintenance.Snapshot),
 * encrypts it with age to the stack's recipient and uploads it to the S3 bucket. Pure.
 *
 * The job is a platform workload, hardened as one: its own namespace at Pod Security `restricted`,
 * no Kubernetes API token, non-root, read-only root filesystem, no capabilities, RuntimeDefault
 * seccomp, bounded resources and run time, one run at a time, and egress only to DNS, the Talos API
 * and the S3 port. The S3 credentials are a Secret the program creates from the stack's secrets
 * (backupCredentialsSecret); rendered files never hold them.
 */
import type { BackupConfig } from '../config/backup';
import type { StackConfig } from '../config/schema';
import { K8sObject, MANAGED_BY } from './k8s';

export const BACKUP_NAMESPACE = 'bulwark-etcd-backup';
export const BACKUP_ROLE = 'os:etcd:backup';
/** talos-backup's release (its image's command is /talos-backup); pin a digest through a registry mirror where one is kept. */
export const TALOS_BACKUP_IMAGE = 'ghcr.io/siderolabs/talos-backup:v0.1.0-beta.2';
const CREDENTIALS = 'etcd-backup-s3';
const TALOS_SECRET = 'etcd-backup-talos';
export const BACKUP_CONTROL = 'k8s.etcd.backup';
const CONTROL = BACKUP_CONTROL;
const TALOS_API_PORT = 50000;

const meta = (name: string, namespace?: string, labels: Record<string, string> = {}) => ({
  name, ...(namespace ? { namespace } : {}), labels: { ...MANAGED_BY, ...labels }, annotations: { 'bulwark.dev/control': CONTROL },
});

export const prefixOf = (stack: StackConfig, b: BackupConfig) => b.s3.prefix ?? stack.cluster.name;

function s3Port(endpoint: string): number {
  const u = new URL(endpoint);
  return u.port ? Number(u.port) : 443;
}

/**
 * The job's namespace at Pod Security `restricted`. In a provisioned cluster Talos creates it, with the deployer's
 * Role there (core/auth/deployer.ts): an inline manifest, so the Role exists before the program applies the job.
 */
export function backupNamespace(): K8sObject {
  const pss = Object.fromEntries(['enforce', 'audit', 'warn'].flatMap((m) => [[`pod-security.kubernetes.io/${m}`, 'restricted'], [`pod-security.kubernetes.io/${m}-version`, 'latest']]));
  return { apiVersion: 'v1', kind: 'Namespace', metadata: meta(BACKUP_NAMESPACE, undefined, pss) };
}

/** Every object the backup needs but the credentials Secret, in apply order (the Namespace first). */
export function backupObjects(stack: StackConfig, b: BackupConfig, image = TALOS_BACKUP_IMAGE): K8sObject[] {
  const ns = BACKUP_NAMESPACE;
  const labels = { 'app.kubernetes.io/name': 'etcd-backup' };
  const env = (name: string, value: string) => ({ name, value });
  const fromSecret = (name: string, key: string) => ({ name, valueFrom: { secretKeyRef: { name: CREDENTIALS, key } } });
  return [
    backupNamespace(),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('etcd-backup', ns), automountServiceAccountToken: false },
    // Talos answers with a Secret of the same name holding a talosconfig for these roles only.
    { apiVersion: 'talos.dev/v1alpha1', kind: 'ServiceAccount', metadata: meta(TALOS_SECRET, ns), spec: { roles: [BACKUP_ROLE] } },
    {
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta('etcd-backup', ns),
      spec: {
        podSelector: { matchLabels: labels },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [],
        egress: [
          { ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
          { ports: [{ protocol: 'TCP', port: TALOS_API_PORT }] },
          { ports: [{ protocol: 'TCP', port: s3Port(b.s3.endpoint) }] },
        ],
      },
    },
    {
      apiVersion: 'batch/v1', kind: 'CronJob', metadata: meta('etcd-backup', ns, labels),
      spec: {
        schedule: b.schedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 2,
            activeDeadlineSeconds: 1800,
            ttlSecondsAfterFinished: 86400,
            template: {
              metadata: { labels },
              spec: {
                serviceAccountName: 'etcd-backup',
                automountServiceAccountToken: false,
                restartPolicy: 'OnFailure',
                securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
                containers: [{
                  name: 'talos-backup',
                  image,
                  imagePullPolicy: 'IfNotPresent',
                  command: ['/talos-backup'],
                  workingDir: '/tmp',
                  env: [
                    fromSecret('AWS_ACCESS_KEY_ID', 'accessKeyId'),
                    fromSecret('AWS_SECRET_ACCESS_KEY', 'secretAccessKey'),
                    env('AWS_REGION', b.s3.region),
                    env('CUSTOM_S3_ENDPOINT', b.s3.endpoint),
                    env('BUCKET', b.s3.bucket),
                    env('CLUSTER_NAME', stack.cluster.name),
                    env('S3_PREFIX', prefixOf(stack, b)),
                    env('AGE_X25519_PUBLIC_KEY', b.recipient),
                  ],
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi', 'ephemeral-storage': '4Gi' } },
                  volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }, { name: 'talos', mountPath: '/var/run/secrets/talos.dev', readOnly: true }],
                }],
                volumes: [
                  // the snapshot and its encrypted copy pass through here, never the root filesystem
                  { name: 'tmp', emptyDir: { sizeLimit: '4Gi' } },
                  { name: 'talos', secret: { secretName: TALOS_SECRET, defaultMode: 0o400 } },
                ],
              },
            },
          },
        },
      },
    },
  ];
}

/** The Secret the CronJob reads its S3 credentials from: built by the program from the decrypted stack secrets, never rendered to a file. */
export function backupCredentialsSecret(accessKeyId: string, secretAccessKey: string): K8sObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: meta(CREDENTIALS, BACKUP_NAMESPACE), type: 'Opaque', stringData: { accessKeyId, secretAccessKey } };
}

/** The Talos API access the control planes grant the job: that role, from that namespace, nothing else. */
export const BACKUP_ACCESS = { allowedRoles: [BACKUP_ROLE], allowedKubernetesNamespaces: [BACKUP_NAMESPACE] };

/** What control-plane machine configurations need for the job's Talos credential, per contract (the renderers write it from BACKUP_ACCESS). */
export function talosApiAccess(contract: '1.13' | '1.14'): { patch?: Record<string, unknown>; document?: Record<string, unknown> } {
  const access = BACKUP_ACCESS;
  return contract === '1.14'
    ? { document: { apiVersion: 'v1alpha1', kind: 'KubeTalosAPIAccessConfig', ...access } }
    : { patch: { machine: { features: { kubernetesTalosAPIAccess: { enabled: true, ...access } } } } };
}

/** S3 lifecycle configuration (PutBucketLifecycleConfiguration's JSON) expiring the stack's snapshots after retentionDays. */
export function backupLifecycle(stack: StackConfig, b: BackupConfig): Record<string, unknown> {
  return { Rules: [{ ID: `bulwark-etcd-backup-${stack.cluster.name}`, Status: 'Enabled', Filter: { Prefix: `${prefixOf(stack, b)}/` }, Expiration: { Days: b.retentionDays } }] };
}
