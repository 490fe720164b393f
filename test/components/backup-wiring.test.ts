/**
 * bulwark:backup on a provisioned stack, under the mock runtime: the control planes' configurations grant
 * the backup namespace the os:etcd:backup role only (workers nothing), Talos creates that namespace and the
 * deployer's Role there, the program applies the job and registers its S3 Secret from the stack secrets as a
 * secret, and the posture report says the control is enforced and who judged what.
 */
import { parseAllDocuments } from 'yaml';
import { renderStack } from '../../core/render/index';
import { BACKUP_CONTROL, BACKUP_NAMESPACE, BACKUP_ROLE } from '../../core/render/backup';
import { validateValues } from '../../core/stack';
import { TODAY, exampleValues, testSecrets } from '../helpers';
import { Run, appliedObjects, isSecretValue, runExample } from './harness';

const RECIPIENT = 'age17ltu9gnn7mp5xqtks6lk8me6jlmhenmnv9gctcyf9csaz7m9ucasx3f8ph';
// what the program receives: stack secrets arrive decrypted
const BACKUP = {
  schedule: '0 */6 * * *',
  s3: { endpoint: 'https://s3.backup.example.internal:9000', bucket: 'prod-etcd', accessKeyId: 'AKIA-CANARY-ID', secretAccessKey: 'CANARY-SECRET-KEY' },
  recipient: RECIPIENT,
  retentionDays: 30,
};
const withBackup = (v: Record<string, unknown>) => (v.backup = BACKUP);

describe.each([['prod', '1.13'], ['lab', '1.14']] as const)('%s (contract %s) with bulwark:backup', (name, contract) => {
  let run: Run;
  beforeAll(async () => (run = await runExample(name, withBackup)));

  test('registers', () => expect(run.error).toBeUndefined());

  test('control planes grant exactly os:etcd:backup from the backup namespace; workers grant nothing', async () => {
    const v = validateValues(name, { ...exampleValues(name), backup: BACKUP }, { today: TODAY });
    expect(v.stack.cluster.contract).toBe(contract);
    for (const n of renderStack(v, await testSecrets()).nodes) {
      const docs = parseAllDocuments(n.config).map((d) => d.toJS() as Record<string, any>);
      const access = contract === '1.13' ? docs[0].machine.features.kubernetesTalosAPIAccess : docs.find((d) => d.kind === 'KubeTalosAPIAccessConfig');
      if (n.role === 'worker') expect(access).toBeUndefined();
      else if (contract === '1.13') expect(access).toEqual({ enabled: true, allowedRoles: [BACKUP_ROLE], allowedKubernetesNamespaces: [BACKUP_NAMESPACE] });
      else expect(access).toEqual({ apiVersion: 'v1alpha1', kind: 'KubeTalosAPIAccessConfig', allowedRoles: [BACKUP_ROLE], allowedKubernetesNamespaces: [BACKUP_NAMESPACE] });
    }
  });

  test('the cluster layer applies the job, its Talos credential request and network policy; the namespace and the deployer\'s Role there are Talos\'s', async () => {
    const keys = appliedObjects(run).map((o) => o.key);
    for (const k of ['CronJob/bulwark-etcd-backup/etcd-backup', 'ServiceAccount/bulwark-etcd-backup/etcd-backup', 'NetworkPolicy/bulwark-etcd-backup/etcd-backup'])
      expect(keys).toContain(k);
    expect(run.registrations.some((r) => r.name.includes('etcd-backup-talos') && r.type === 'kubernetes:talos.dev/v1alpha1:ServiceAccount')).toBe(true);
    expect(keys).not.toContain('Namespace/bulwark-etcd-backup');
    const v = validateValues(name, { ...exampleValues(name), backup: BACKUP }, { today: TODAY });
    const deployer = renderStack(v, await testSecrets()).plan.controlPlane.inlineManifests.find((m) => m.name === 'bulwark-deployer')!;
    const inNs = deployer.objects.filter((o) => o.metadata.name === BACKUP_NAMESPACE || o.metadata.namespace === BACKUP_NAMESPACE);
    expect(inNs.map((o) => o.kind)).toEqual(['Namespace', 'Role', 'RoleBinding']);
    // the Namespace comes first (Talos applies a manifest in order), at Pod Security restricted
    expect(deployer.objects.findIndex((o) => o.kind === 'Namespace')).toBeLessThan(deployer.objects.findIndex((o) => o.kind === 'Role' && o.metadata.namespace === BACKUP_NAMESPACE));
    expect(inNs[0].metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect((inNs[1] as unknown as { rules: unknown[] }).rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: expect.any(Array) },
      { apiGroups: ['batch'], resources: ['cronjobs'], verbs: expect.any(Array) },
      { apiGroups: ['talos.dev'], resources: ['serviceaccounts'], verbs: expect.any(Array) },
    ]);
  });

  test('the S3 Secret is registered with its credentials as a secret; no registration holds them in plain', () => {
    const secret = run.registrations.find((r) => r.type === 'kubernetes:core/v1:Secret' && r.name.endsWith('etcd-backup-s3'))!;
    expect(secret).toBeDefined();
    expect(isSecretValue(secret.raw.stringData)).toBe(true);
    expect(secret.additionalSecretOutputs).toEqual(expect.arrayContaining(['data', 'stringData']));
    const plain = (v: unknown): string[] => (isSecretValue(v) ? [] : typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(plain) : []);
    const leaks = run.registrations.flatMap((r) => plain(r.raw).filter((s) => /CANARY/.test(s)).map(() => r.name));
    expect(leaks).toEqual([]);
  });

  test('the posture says the backup control is enforced, and which judges checked what', async () => {
    const v = validateValues(name, { ...exampleValues(name), backup: BACKUP }, { today: TODAY });
    const r = renderStack(v, await testSecrets());
    const c = r.posture.controls.find((x) => x.id === BACKUP_CONTROL)!;
    expect(c.status).toBe('enforced');
    expect(JSON.stringify(c)).toMatch(/talosctl validate --strict v1\.13\.9 and v1\.14\.1/);
    expect(JSON.stringify(c)).toMatch(/etcd 3\.6\.16 .*kube-apiserver v1\.36\.3/);
  });
});

test('without bulwark:backup: no access in any node config, no job, and the control has nothing to act on', async () => {
  const v = validateValues('prod', exampleValues('prod'), { today: TODAY });
  const r = renderStack(v, await testSecrets());
  expect(r.nodes.some((n) => /kubernetesTalosAPIAccess|KubeTalosAPIAccessConfig/.test(n.config))).toBe(false);
  expect(r.objects.some((o) => o.metadata.namespace === BACKUP_NAMESPACE)).toBe(false);
  expect(r.posture.controls.find((x) => x.id === BACKUP_CONTROL)!.status).toBe('not-applicable');
});
