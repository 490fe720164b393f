/**
 * The etcd backup's S3 credentials as the Secret its CronJob reads (core/render/backup.ts): built here, from
 * the stack secrets the program receives decrypted, and registered as a secret (components/cluster-layer.ts),
 * so they are encrypted in state and never in a rendered file or a preview.
 */
import * as pulumi from '@pulumi/pulumi';
import type { StackConfig } from '../core/config/schema';
import { backupCredentialsSecret } from '../core/render/backup';
import type { K8sObject } from '../core/render/k8s';

export function backupSecrets(stack: StackConfig): K8sObject[] {
  const b = stack.backup;
  if (!b) return [];
  const { accessKeyId, secretAccessKey } = b.s3;
  if (typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string')
    throw new pulumi.RunError('bulwark:backup.s3 credentials were not decrypted; set them with `pulumi config set --secret --path backup.s3.accessKeyId` and `... backup.s3.secretAccessKey`');
  // exported by @pulumi/pulumi's runtime, though not in its type declarations
  const rt = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  if (rt.isConfigSecret && !rt.isConfigSecret('bulwark:backup'))
    void pulumi.log.warn('bulwark:backup holds the S3 credentials in plain text; store them with `pulumi config set --secret --path backup.s3.secretAccessKey`');
  return [backupCredentialsSecret(accessKeyId, secretAccessKey)];
}
