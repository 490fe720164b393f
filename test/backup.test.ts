/**
 * bulwark:backup without a cluster: the stack keys (every problem with its key path), the rendered
 * objects against the upstream Kubernetes OpenAPI (strict), and the control planes' Talos API access
 * for the job judged by `talosctl validate --strict` of both Talos lines (test/e2e/backup.test.ts has
 * the real etcd, S3 server and API server).
 */
import { parseAllDocuments, stringify } from 'yaml';
import { renderStack } from '../core/render/index';
import { BACKUP_NAMESPACE, BACKUP_ROLE, backupCredentialsSecret, backupLifecycle, backupObjects, talosApiAccess } from '../core/render/backup';
import { validateValues } from '../core/stack';
import { TODAY, configProblems, exampleValues, testSecrets } from './helpers';
import { k8sValidators } from './openapi';
import { absentJudges, judgesRequired, validate } from './talos/talosctl';

const RECIPIENT = 'age17ltu9gnn7mp5xqtks6lk8me6jlmhenmnv9gctcyf9csaz7m9ucasx3f8ph';
const backup = {
  schedule: '0 */6 * * *',
  s3: { endpoint: 'https://s3.backup.example.internal:9000', bucket: 'prod-etcd', accessKeyId: { secure: 'v1:AAAA' }, secretAccessKey: { secure: 'v1:BBBB' } },
  recipient: RECIPIENT,
  retentionDays: 30,
};
const withBackup = (name: string, b: unknown = backup) => ({ ...exampleValues(name), backup: b });

describe('bulwark:backup keys', () => {
  test('a valid backup section, with the region and prefix defaults', () => {
    const v = validateValues('prod', withBackup('prod'), { today: TODAY });
    expect(v.stack.backup).toMatchObject({ schedule: '0 */6 * * *', s3: { region: 'us-east-1', bucket: 'prod-etcd' }, retentionDays: 30 });
  });

  test('every problem at once, each with its key path and what would be right', () => {
    const problems = configProblems(withBackup('prod', {
      schedule: 'every 6 hours', s3: { endpoint: 'http://s3.example.internal', bucket: 'Prod_Etcd', accessKeyId: { secure: 'v1:A' } },
      recipient: 'ssh-ed25519 AAAA', retentionDays: 0,
    }));
    const at = (p: string) => problems.filter((x) => x.path === p).map((x) => x.message).join(' | ');
    expect(at('bulwark:backup.schedule')).toMatch(/not a five-field cron schedule .* e\.g\. "0 \*\/6 \* \* \*"/);
    expect(at('bulwark:backup.s3.endpoint')).toMatch(/https/);
    expect(at('bulwark:backup.s3.bucket')).toMatch(/not an S3 bucket name/);
    expect(at('bulwark:backup.s3.secretAccessKey')).toMatch(/.+/);
    expect(at('bulwark:backup.recipient')).toMatch(/not an age X25519 recipient .*age-keygen/);
    expect(at('bulwark:backup.retentionDays')).toMatch(/.+/);
  });
});

describe('rendered backup objects', () => {
  const v = validateValues('prod', withBackup('prod'), { today: TODAY });
  const objects = backupObjects(v.stack, v.stack.backup!);

  test('validate strictly against the Kubernetes v1.36.3 OpenAPI (the talos.dev ServiceAccount is Talos\'s own resource)', () => {
    const validatorFor = k8sValidators('v1.36.3');
    const k8s = [...objects, backupCredentialsSecret('AKIA', 'secret')].filter((o) => o.apiVersion !== 'talos.dev/v1alpha1');
    expect(k8s.map((o) => o.kind)).toEqual(['Namespace', 'ServiceAccount', 'NetworkPolicy', 'CronJob', 'Secret']);
    for (const o of k8s) {
      const check = validatorFor(o.apiVersion, o.kind) as unknown as ((d: unknown) => boolean) & { errors?: unknown[] };
      if (!check(o)) throw new Error(`${o.kind}/${o.metadata.name}: ${JSON.stringify(check.errors?.slice(0, 4))}`);
    }
  }, 300_000);

  test('the Talos credential asks for os:etcd:backup only; S3 credentials come from a Secret, never from the render', () => {
    const talos = objects.find((o) => o.apiVersion === 'talos.dev/v1alpha1')!;
    expect(talos.spec).toEqual({ roles: [BACKUP_ROLE] });
    const text = JSON.stringify(objects);
    expect(text).not.toMatch(/v1:AAAA|v1:BBBB|secure/);
    expect(text).toContain('"secretKeyRef":{"name":"etcd-backup-s3","key":"secretAccessKey"}');
  });

  test('same stack, same bytes; the lifecycle rule expires the cluster\'s prefix after retentionDays', () => {
    expect(stringify(backupObjects(v.stack, v.stack.backup!))).toBe(stringify(objects));
    expect(backupLifecycle(v.stack, v.stack.backup!)).toEqual({ Rules: [{ ID: `bulwark-etcd-backup-${v.stack.cluster.name}`, Status: 'Enabled', Filter: { Prefix: `${v.stack.cluster.name}/` }, Expiration: { Days: 30 } }] });
  });
});

const judged = absentJudges.length && !judgesRequired ? describe.skip : describe;
if (absentJudges.length && !judgesRequired) console.log(`skipping talosctl validate of the backup's Talos API access: ${absentJudges.join('; ')}`);

judged('Talos API access for the backup job, judged by talosctl validate --strict', () => {
  // prod: contract 1.13 (machine.features.kubernetesTalosAPIAccess); lab: contract 1.14 (KubeTalosAPIAccessConfig)
  test.each([['prod', '1.13'], ['lab', '1.14']] as const)('%s (contract %s): the rendered control plane carries the access, and talosctl accepts it', async (name, line) => {
    const v = validateValues(name, withBackup(name), { today: TODAY });
    const cp = renderStack(v, await testSecrets()).nodes.find((n) => n.role === 'controlplane')!;
    // what the renderer wrote is the access talosApiAccess() describes for the contract
    const access = talosApiAccess(v.stack.cluster.contract);
    const docs = parseAllDocuments(cp.config).map((d) => d.toJS() as Record<string, unknown>);
    if (access.patch) expect((docs[0].machine as { features: Record<string, unknown> }).features.kubernetesTalosAPIAccess).toEqual((access.patch.machine as { features: Record<string, unknown> }).features.kubernetesTalosAPIAccess);
    else expect(docs.filter((d) => d.kind === 'KubeTalosAPIAccessConfig')).toEqual([access.document]);
    const config = cp.config;
    const verdict = validate(line, config, 'metal', true);
    expect(verdict.errors).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(config).toContain(BACKUP_NAMESPACE);
    // a role Talos does not know is refused by the same judge: the check can fail
    const wrong = config.replace(BACKUP_ROLE, 'os:etcd:everything');
    expect(validate(line, wrong, 'metal', true).ok).toBe(false);
  }, 120_000);
});
