/**
 * `bulwark:backup`: scheduled, age-encrypted etcd snapshots to an S3-compatible bucket
 * (core/render/backup.ts renders the job). The S3 credentials are stack secrets: in the stack file
 * they are `{secure: ...}` values (`pulumi config set --secret --path backup.s3.secretAccessKey`),
 * which the program receives decrypted; the render never writes them (the job reads a Secret).
 */
import { z } from 'zod';
import { httpsUrl } from './fields';

/** A five-field cron schedule (what a CronJob takes), each field from the characters cron allows. */
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const cron = z.string().refine((v) => {
  const f = v.trim().split(/\s+/);
  return f.length === 5 && f.every((x) => CRON_FIELD.test(x));
}, { error: (iss) => `${JSON.stringify(iss.input)} is not a five-field cron schedule (minute hour day-of-month month day-of-week), e.g. "0 */6 * * *"` });

/** age's X25519 recipient: "age1" and 58 Bech32 characters. */
const ageRecipient = z.string().refine((v) => /^age1[02-9ac-hj-np-z]{58}$/.test(v), {
  error: (iss) => `${JSON.stringify(String(iss.input).slice(0, 70))} is not an age X25519 recipient (age1 followed by 58 Bech32 characters, as age-keygen prints as "Public key")`,
});

/** A stack secret: what the stack file holds after `pulumi config set --secret`, or the decrypted value the program sees. */
const stackSecret = (what: string) => z.union([z.strictObject({ secure: z.string().min(1) }), z.string().min(1)], {
  error: () => `${what} must be a stack secret: set it with \`pulumi config set --secret --path ...\``,
});

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const backupSchema = z.strictObject({
  /** When snapshots are taken (UTC, cron syntax). */
  schedule: cron,
  s3: z.strictObject({
    /** The S3-compatible endpoint (https). */
    endpoint: httpsUrl('the S3 endpoint'),
    bucket: z.string().refine((v) => BUCKET.test(v) && !v.includes('..'), { error: (iss) => `${JSON.stringify(iss.input)} is not an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)` }),
    region: z.string().regex(/^[a-z0-9-]{1,32}$/).default('us-east-1'),
    /** Key prefix; default the cluster name. */
    prefix: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { error: 'is not a key prefix (letters, digits, . _ - and / between parts)' }).optional(),
    accessKeyId: stackSecret('bulwark:backup.s3.accessKeyId'),
    secretAccessKey: stackSecret('bulwark:backup.s3.secretAccessKey'),
  }),
  /** Who can read the snapshots: an age X25519 recipient (keep its identity offline). */
  recipient: ageRecipient,
  /** Days a snapshot is kept (an S3 lifecycle rule on the prefix expires older ones). */
  retentionDays: z.number().int().min(1).max(3650),
});

export type BackupConfig = z.infer<typeof backupSchema>;
