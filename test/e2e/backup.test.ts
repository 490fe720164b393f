/**
 * Issue 16, etcd backups that restore, against the e2e suite's real etcd and API server (prod:
 * multi-team, Secrets and ConfigMaps encrypted at rest with the bundle's secretbox key):
 *
 * 1. The rendered objects applied, a Secret and a ConfigMap written in every tenant namespace.
 * 2. A snapshot taken the way the backup does: etcd's Maintenance.Snapshot (what Talos's EtcdSnapshot
 *    API streams to talos-backup), here through etcdctl snapshot save.
 * 3. age-encrypted to the stack's recipient and uploaded as talos-backup does (filippo.io/age, minio-go;
 *    test/backup-client), to a real S3-compatible server on loopback (gofakes3, e2e/tools/s3.sh).
 * 4. The cluster stopped; the snapshot downloaded, decrypted, restored into a fresh etcd data directory
 *    (etcdutl snapshot restore), and a new control plane started on it with the stack's flags and files.
 * 5. Every rendered and tenant object is back; Secrets are still encrypted in etcd (k8s:enc:secretbox
 *    prefix, read raw) and readable through the API server with the bundle's key.
 * A snapshot encrypted to another recipient cannot be decrypted with the stack's identity. The job's
 * pod template is judged by the real Pod Security admission at `restricted`.
 * What cannot run here: Talos itself (the EtcdSnapshot API, `talosctl bootstrap --recover-from`);
 * test/backup-restore.test.ts checks the restore command's argv against a stand-in talosctl.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BACKUP_NAMESPACE, backupObjects } from '../../core/render/backup';
import type { SecretsBundle } from '../../core/secrets/bundle';
import { validateValues } from '../../core/stack';
import { ControlPlane, startControlPlane } from '../../e2e/harness/cluster';
import { Idp, startIdps } from '../../e2e/harness/idp';
import type { K8sObj } from '../../e2e/harness/kube';
import { Proc, freePort, sleep, start, stop, waitFor } from '../../e2e/harness/proc';
import { PreparedStack, prepareStack } from '../../e2e/harness/stack';
import { findJudge, loadTools } from '../../e2e/harness/tools';
import { goTestBinary } from '../go-binary';
import { TODAY, exampleValues, testSecrets } from '../helpers';

const exec = promisify(execFile);
const tools = loadTools();
const tool = (name: string) => {
  const j = findJudge(name);
  if ('absent' in j) throw new Error(j.absent);
  return j.path;
};
const gofakes3 = tool('gofakes3');
const etcdutl = tool('etcdutl');
const client = goTestBinary('backup-client');
const base = mkdtempSync(join(tmpdir(), 'bulwark-e2e-backup-'));
const STACK = 'prod';
const BUCKET = 'prod-etcd';
// the S3 server does not check signatures; the job's credentials travel as talos-backup's do (environment)
const s3env = { ...process.env, AWS_ACCESS_KEY_ID: 'e2e-access-key', AWS_SECRET_ACCESS_KEY: 'e2e-secret-key' };

let idp: Idp;
let rogue: Idp;
let st: PreparedStack;
let secrets: SecretsBundle;
let first: ControlPlane | undefined;
let restored: ControlPlane | undefined;
let s3: Proc;
let endpoint: string;
const timings: Record<string, number> = {};

const backupClient = (args: string[]) => exec(client, args, { env: s3env, timeout: 120_000 });
const expectOk = (status: number, what: string, text = '') => {
  if (status !== 200 && status !== 201) throw new Error(`${what}: HTTP ${status} ${text.slice(0, 300)}`);
};
const tenantSecret = (ns: string): K8sObj => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-password', namespace: ns }, stringData: { password: `pw-of-${ns}` } });
const tenantConfig = (ns: string): K8sObj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data: { mode: `mode-of-${ns}` } });

beforeAll(async () => {
  ({ idp, rogue } = await startIdps(join(base, 'idp'), [STACK]));
  secrets = await testSecrets();
  st = await prepareStack(STACK, idp.issuer, idp.caPem, secrets);
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  s3 = start('gofakes3', gofakes3, ['-backend', 'memory', '-host', `127.0.0.1:${port}`, '-initialbucket', BUCKET], join(base, 'gofakes3.log'));
  await waitFor('gofakes3', async () => (await backupClient(['list', '-endpoint', endpoint, '-bucket', BUCKET]).then(() => true, () => false)), 30_000, s3);
  first = await startControlPlane({ dir: join(base, 'first'), flags: st.flags, files: st.files, secrets, tools });
  const objs = [...st.rendered.objects, ...[...st.rendered.tenantObjects.values()].flat()] as K8sObj[];
  for (const o of [...objs, ...st.tenants.flatMap((t) => [tenantSecret(t.name), tenantConfig(t.name)])]) {
    const r = await first.kube.apply(first.admin, o);
    expectOk(r.status, `apply ${o.kind}/${o.metadata.name}`, r.text);
  }
}, 300_000);

afterAll(async () => {
  console.log(`backup/restore timings (ms): ${JSON.stringify(timings)}`);
  await restored?.stop();
  await first?.stop();
  await stop(s3);
  await rogue?.stop();
  await idp?.stop();
  rmSync(base, { recursive: true, force: true });
}, 120_000);

test('snapshot → age → S3 → download → decrypt → etcdutl restore → kube-apiserver: every object back, Secrets still encrypted at rest', async () => {
  const [ours] = await Promise.all([backupClient(['keygen'])]);
  const [identity, recipient] = ours.stdout.trim().split('\n');
  const idFile = join(base, 'identity.txt');
  writeFileSync(idFile, `${identity}\n`, { mode: 0o600 });
  // the job's settings come from the stack: its recipient, bucket and prefix (the cluster name)
  const v = validateValues(STACK, { ...exampleValues(STACK), backup: {
    schedule: '0 */6 * * *', recipient, retentionDays: 7,
    s3: { endpoint: 'https://s3.backup.example.internal', bucket: BUCKET, accessKeyId: { secure: 'x' }, secretAccessKey: { secure: 'y' } },
  } }, { today: TODAY });
  const env = Object.fromEntries(((backupObjects(v.stack, v.stack.backup!).find((o) => o.kind === 'CronJob')!.spec as any).jobTemplate.spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [e.name, e.value])); // eslint-disable-line @typescript-eslint/no-explicit-any
  expect(env.AGE_X25519_PUBLIC_KEY).toBe(recipient);
  const key = `${env.S3_PREFIX}/${env.CLUSTER_NAME}-2026-12-01T00:00:00Z.snap.age`; // talos-backup's object key

  let t = Date.now();
  const snap = join(base, 'etcd.snap');
  const saved = await first!.etcdctl(['snapshot', 'save', snap]);
  expect(saved.code).toBe(0);
  timings.snapshot = Date.now() - t;
  t = Date.now();
  await backupClient(['put', '-endpoint', endpoint, '-bucket', BUCKET, '-key', key, '-recipient', env.AGE_X25519_PUBLIC_KEY!, '-in', snap]);
  timings.encryptUpload = Date.now() - t;
  expect((await backupClient(['list', '-endpoint', endpoint, '-bucket', BUCKET, '-prefix', `${env.S3_PREFIX}/`])).stdout.trim().split('\n')).toContain(key);

  await first!.stop();
  first = undefined;
  t = Date.now();
  const back = join(base, 'restored.snap');
  await backupClient(['get', '-endpoint', endpoint, '-bucket', BUCKET, '-key', key, '-identity', idFile, '-out', back]);
  timings.downloadDecrypt = Date.now() - t;
  expect(readFileSync(back).equals(readFileSync(snap))).toBe(true);

  t = Date.now();
  const dir = join(base, 'restored');
  const dataDir = join(dir, 'root', st.flags.etcd['data-dir']);
  await exec(etcdutl, ['snapshot', 'restore', back, '--data-dir', dataDir, '--name', 'e2e', '--initial-cluster', 'e2e=https://127.0.0.1:2380', '--initial-advertise-peer-urls', 'https://127.0.0.1:2380'], { timeout: 120_000 });
  timings.etcdutlRestore = Date.now() - t;
  t = Date.now();
  restored = await startControlPlane({ dir, flags: st.flags, files: st.files, secrets, tools });
  timings.controlPlaneOnRestoredData = Date.now() - t;

  const kube = restored.kube;
  const missing: string[] = [];
  const objs = [...st.rendered.objects, ...[...st.rendered.tenantObjects.values()].flat()] as K8sObj[];
  for (const o of [...objs, ...st.tenants.flatMap((x) => [tenantSecret(x.name), tenantConfig(x.name)])]) {
    const path = `${await kube.collection(o.apiVersion, o.kind, o.metadata.namespace, restored.admin)}/${o.metadata.name}`;
    if ((await kube.request(restored.admin, 'GET', path)).status !== 200) missing.push(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
  }
  expect(missing).toEqual([]);
  for (const x of st.tenants) {
    const secret = await kube.request(restored.admin, 'GET', `/api/v1/namespaces/${x.name}/secrets/db-password`);
    expect(Buffer.from(secret.json.data.password, 'base64').toString()).toBe(`pw-of-${x.name}`);
    const cm = await kube.request(restored.admin, 'GET', `/api/v1/namespaces/${x.name}/configmaps/settings`);
    expect(cm.json.data.mode).toBe(`mode-of-${x.name}`);
    // raw etcd: the value is the envelope of the bundle's secretbox key, no plaintext
    const rawSecret = await restored.etcdctl(['get', `/registry/secrets/${x.name}/db-password`, '--print-value-only']);
    expect(rawSecret.stdout.startsWith('k8s:enc:secretbox:v1:')).toBe(true);
    expect(rawSecret.stdout).not.toContain(`pw-of-${x.name}`);
  }
  timings.total = Object.values(timings).reduce((a, b) => a + b, 0);
}, 600_000);

test('a snapshot encrypted to another recipient cannot be decrypted with the stack\'s identity', async () => {
  const [ours, theirs] = [(await backupClient(['keygen'])).stdout.trim().split('\n'), (await backupClient(['keygen'])).stdout.trim().split('\n')];
  const idFile = join(base, 'ours.txt');
  writeFileSync(idFile, `${ours[0]}\n`, { mode: 0o600 });
  const plain = join(base, 'plain.bin');
  writeFileSync(plain, 'etcd snapshot stand-in');
  await backupClient(['put', '-endpoint', endpoint, '-bucket', BUCKET, '-key', 'other/x.snap.age', '-recipient', theirs[1], '-in', plain]);
  const r = await exec(client, ['get', '-endpoint', endpoint, '-bucket', BUCKET, '-key', 'other/x.snap.age', '-identity', idFile, '-out', join(base, 'x.out')], { env: s3env }).then(() => ({ stderr: '', ok: true }), (e) => ({ stderr: String(e.stderr), ok: false }));
  expect(r.ok).toBe(false);
  expect(r.stderr).toMatch(/identity did not match any of the recipients/);
  // and the same object decrypts with its own recipient's identity: the refusal is the recipient's, not a broken upload
  writeFileSync(join(base, 'theirs.txt'), `${theirs[0]}\n`, { mode: 0o600 });
  await backupClient(['get', '-endpoint', endpoint, '-bucket', BUCKET, '-key', 'other/x.snap.age', '-identity', join(base, 'theirs.txt'), '-out', join(base, 'x.out')]);
  expect(readFileSync(join(base, 'x.out'), 'utf8')).toBe('etcd snapshot stand-in');
}, 120_000);

test('the backup job\'s pod passes the real Pod Security admission at restricted in its namespace; a weakened copy does not', async () => {
  const cp = restored!;
  const v = validateValues(STACK, { ...exampleValues(STACK), backup: {
    schedule: '0 3 * * *', recipient: 'age17ltu9gnn7mp5xqtks6lk8me6jlmhenmnv9gctcyf9csaz7m9ucasx3f8ph', retentionDays: 7,
    s3: { endpoint: 'https://s3.backup.example.internal', bucket: BUCKET, accessKeyId: { secure: 'x' }, secretAccessKey: { secure: 'y' } },
  } }, { today: TODAY });
  const objs = backupObjects(v.stack, v.stack.backup!) as K8sObj[];
  for (const o of objs.filter((x) => x.apiVersion !== 'talos.dev/v1alpha1')) {
    const r = await cp.kube.apply(cp.admin, o);
    expectOk(r.status, `apply ${o.kind}/${o.metadata.name}`, r.text);
  }
  await sleep(500);
  const tmpl = ((objs.find((o) => o.kind === 'CronJob')!.spec as any).jobTemplate.spec.template); // eslint-disable-line @typescript-eslint/no-explicit-any
  const pod = (spec: unknown): K8sObj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'etcd-backup-check', namespace: BACKUP_NAMESPACE, labels: tmpl.metadata.labels }, spec: spec as Record<string, unknown> });
  const ok = await cp.kube.dryRunCreate(cp.admin, pod(tmpl.spec), cp.admin);
  expect(ok.status).toBe(201);
  const weak = structuredClone(tmpl.spec);
  weak.containers[0].securityContext.allowPrivilegeEscalation = true;
  const refused = await cp.kube.dryRunCreate(cp.admin, pod(weak), cp.admin);
  expect(refused.status).toBe(403);
  expect(refused.json.message).toMatch(/violates PodSecurity "restricted:latest": allowPrivilegeEscalation/);
}, 120_000);
