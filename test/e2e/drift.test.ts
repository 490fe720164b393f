/**
 * Issue 16, drift detection, against the real control plane: prod (multi-team) started as the other
 * e2e tests start it, the deployer's RBAC applied as Talos would (its inline manifest, as the admin),
 * every rendered object applied by server-side apply, then drift read as bulwark:deployer.
 * Each change is made as the admin, reported as the control it weakens, and undone; an unchanged
 * cluster reports nothing. Machine configurations come from a stand-in for talosctl here (no Talos
 * node can run in this suite): the rendered ones, so they show no drift (test/drift.test.ts covers
 * machine-configuration drift and the talosctl script).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DriftInputs, detectDrift, exitCode, run } from '../../cli/drift';
import type { DriftReport } from '../../core/ops/drift';
import { ControlPlane, startControlPlane } from '../../e2e/harness/cluster';
import { Idp, startIdps } from '../../e2e/harness/idp';
import type { K8sObj } from '../../e2e/harness/kube';
import { sleep } from '../../e2e/harness/proc';
import { PreparedStack, prepareStack } from '../../e2e/harness/stack';
import { loadTools } from '../../e2e/harness/tools';
import type { SecretsBundle } from '../../core/secrets/bundle';
import { REPO_ROOT } from '../../core/stack';
import { testSecrets } from '../helpers';

const tools = loadTools();
const base = mkdtempSync(join(tmpdir(), 'bulwark-e2e-drift-'));
let idp: Idp;
let rogue: Idp;
let st: PreparedStack;
let cp: ControlPlane;
let secrets: SecretsBundle;

const STACK = 'prod';
const TENANT = 'team-a'; // no NetworkPolicy self-service

beforeAll(async () => {
  ({ idp, rogue } = await startIdps(join(base, 'idp'), [STACK]));
  secrets = await testSecrets();
  st = await prepareStack(STACK, idp.issuer, idp.caPem, secrets);
  cp = await startControlPlane({ dir: join(base, STACK), flags: st.flags, files: st.files, secrets, tools });
  const inline = st.rendered.plan.controlPlane.inlineManifests.flatMap((m) => m.objects);
  for (const o of [...inline, ...st.rendered.objects, ...[...st.rendered.tenantObjects.values()].flat()] as K8sObj[]) {
    const r = await cp.kube.apply(cp.admin, o);
    if (r.status !== 200 && r.status !== 201) throw new Error(`apply ${o.kind}/${o.metadata.name}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  }
  await sleep(1500); // RBAC is enforced from informers: the deployer's binding must be seen
}, 300_000);

afterAll(async () => {
  await cp?.stop();
  await rogue?.stop();
  await idp?.stop();
  rmSync(base, { recursive: true, force: true });
}, 120_000);

const inputs = (): DriftInputs => ({
  valid: st.v, bundle: secrets, server: cp.server,
  // the node's live configuration as talosctl would print it: the rendered one, unchanged
  machineConfig: async (address) => st.rendered.nodes.find((n) => n.address === address)!.config,
});
const summary = (r: DriftReport) => r.findings.map((f) => `${f.control} ${f.change} ${f.object}`).sort();
/**
 * Puts the rendered object back whole (PUT). Server-side apply, which `pulumi up` uses, would not do it: it
 * leaves fields that another field manager set (an added egress rule stays), which is why drift compares the
 * whole object.
 */
const restore = async (key: string) => {
  const o = [...st.rendered.objects, ...[...st.rendered.tenantObjects.values()].flat()].find((x) => `${x.kind}/${x.metadata.namespace ? `${x.metadata.namespace}/` : ''}${x.metadata.name}` === key)! as K8sObj;
  const path = `${await cp.kube.collection(o.apiVersion, o.kind, o.metadata.namespace, cp.admin)}/${o.metadata.name}`;
  const live = await cp.kube.request(cp.admin, 'GET', path);
  const r = await cp.kube.request(cp.admin, 'PUT', path, { ...o, metadata: { ...o.metadata, resourceVersion: live.json.metadata.resourceVersion } });
  if (r.status !== 200) throw new Error(`restore ${key}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
};
const patch = async (path: string, body: unknown) => {
  const r = await cp.kube.request(cp.admin, 'PATCH', path, body, 'application/merge-patch+json');
  if (r.status !== 200) throw new Error(`PATCH ${path}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
};

test('an unchanged cluster reports no drift, with every rendered object and node read', async () => {
  const r = await detectDrift(inputs());
  expect(r.unread).toEqual([]);
  expect(summary(r)).toEqual([]);
  expect(r.checked.nodes).toBe(st.rendered.nodes.length);
  expect(r.checked.objects).toBeGreaterThan(30);
  expect(exitCode(r)).toBe(0);
}, 120_000);

test('an edited NetworkPolicy is reported as weakening default-deny', async () => {
  const key = `NetworkPolicy/${TENANT}/default-deny`;
  await patch(`/apis/networking.k8s.io/v1/namespaces/${TENANT}/networkpolicies/default-deny`, { spec: { egress: [{}] } });
  const r = await detectDrift(inputs());
  expect(summary(r)).toEqual([`tenancy.network.default-deny changed ${key}`]);
  expect(r.findings[0]).toMatchObject({ status: 'enforced', paths: ['.spec.egress'] });
  expect(r.findings[0].weakens).toMatch(/^Default-deny ingress and egress per tenant.*weakened by NetworkPolicy\/team-a\/default-deny changed at \.spec\.egress/);
  expect(exitCode(r)).toBe(3);
  await restore(key);
  expect(summary(await detectDrift(inputs()))).toEqual([]);
}, 120_000);

test('a relabelled tenant namespace is reported as the Pod Security level and every tenant policy that selects on the label', async () => {
  const key = `Namespace/${TENANT}`;
  await patch(`/api/v1/namespaces/${TENANT}`, { metadata: { labels: { 'bulwark.dev/tenant': null, 'pod-security.kubernetes.io/enforce': 'privileged' } } });
  const r = await detectDrift(inputs());
  const ns = r.findings.find((f) => f.control === 'tenancy.namespace.pod-security')!;
  expect(ns).toMatchObject({ object: key, change: 'changed' });
  expect(ns.paths).toEqual(expect.arrayContaining(['.metadata.labels["bulwark.dev/tenant"]', '.metadata.labels["pod-security.kubernetes.io/enforce"]']));
  // the tenant admission policies bind to namespaces by that label: each is named
  const policies = r.findings.filter((f) => f.control.startsWith('tenancy.admission.')).map((f) => f.control);
  // (bulwark-namespace-labels is bound to every namespace, so the label's removal does not lift it)
  expect(policies).toEqual(['tenancy.admission.no-external-ips', 'tenancy.admission.no-host-access', 'tenancy.admission.node-isolation', 'tenancy.admission.service-types']);
  expect(r.findings.every((f) => f.object === key)).toBe(true);
  await restore(key);
  expect(summary(await detectDrift(inputs()))).toEqual([]);
}, 120_000);

test('an added RoleBinding to cluster-admin is reported as weakening tenant RBAC, an added ClusterRoleBinding as standing admin outside break-glass', async () => {
  const rb: K8sObj = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'helpful-admin', namespace: TENANT },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'oidc:team-a' }],
  };
  const crb: K8sObj = { ...rb, kind: 'ClusterRoleBinding', metadata: { name: 'standing-admin' }, subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'oidc:alice@example.com' }] };
  for (const o of [rb, crb]) expect([200, 201]).toContain((await cp.kube.apply(cp.admin, o)).status);
  const r = await detectDrift(inputs());
  expect(summary(r)).toEqual([
    'auth.breakglass.short-lived-admin added ClusterRoleBinding/standing-admin',
    `tenancy.rbac.tenant-admin added RoleBinding/${TENANT}/helpful-admin`,
  ]);
  expect(exitCode(r)).toBe(3);
  expect((await cp.kube.request(cp.admin, 'DELETE', `/apis/rbac.authorization.k8s.io/v1/namespaces/${TENANT}/rolebindings/helpful-admin`)).status).toBe(200);
  expect((await cp.kube.request(cp.admin, 'DELETE', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/standing-admin')).status).toBe(200);
  expect(summary(await detectDrift(inputs()))).toEqual([]);
}, 120_000);

test('npm run drift: JSON on stdout and exit code 3 for CI while a change is live, 0 once it is undone', async () => {
  const file = join(base, 'secrets.yaml');
  writeFileSync(file, stringify(secrets), { mode: 0o600 });
  let out = '';
  const io = { stdin: () => '', out: (s: string) => { out += s; } };
  const argv = ['--stack', STACK, '--secrets', file, '--server', cp.server, '--no-nodes', '--format', 'json'];
  const rendered = st.rendered.tenantObjects.get(TENANT)!.find((o) => o.kind === 'RoleBinding' && o.metadata.name === 'tenant-admins')!;
  const subjects = [...(rendered.subjects as unknown[]), { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'oidc:everyone' }];
  await patch(`/apis/rbac.authorization.k8s.io/v1/namespaces/${TENANT}/rolebindings/tenant-admins`, { subjects });
  // the stack file's OIDC issuer is not the local IdP's: nothing is compared that depends on it (objects hold group names only)
  expect(await run(argv, io)).toBe(3);
  const report = JSON.parse(out) as DriftReport;
  expect(report.findings.map((f) => `${f.control} ${f.object} ${f.paths.join(',')}`)).toEqual([`tenancy.rbac.tenant-admin RoleBinding/${TENANT}/tenant-admins .subjects`]);
  expect(report.unread).toEqual(['machine configurations: not read (--no-nodes)']);
  await restore(`RoleBinding/${TENANT}/tenant-admins`);
  out = '';
  expect(await run(argv, io)).toBe(0);
  expect(JSON.parse(out).findings).toEqual([]);
}, 120_000);

test('scripts/ci-drift.sh: the bundle from the stack state on a pipe, exit 3 with a summary while drifted, 0 after', async () => {
  // a stand-in for `pulumi stack export --show-secrets`: the state's bundle resource, as break-glass reads it
  const bin = join(base, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(base, 'state.json'), JSON.stringify({ deployment: { resources: [{ type: 'pulumi-nodejs:dynamic/bulwark:ClusterSecretsBundle', outputs: { bundle: secrets } }] } }), { mode: 0o600 });
  writeFileSync(join(bin, 'pulumi'), `#!/bin/sh\n[ "$1 $2 $3 $4 $5" = "stack export --show-secrets --stack prod" ] || exit 9\ncat '${join(base, 'state.json')}'\n`, { mode: 0o755 });
  const out = join(base, 'ci');
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, STACKS: STACK, BULWARK_CI_OUT: out, BULWARK_DRIFT_SERVER: cp.server, BULWARK_DRIFT_NO_NODES: '1' };
  const script = () => spawnSync('bash', ['scripts/ci-drift.sh'], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 120_000 });
  await patch(`/apis/networking.k8s.io/v1/namespaces/${TENANT}/networkpolicies/allow-dns`, { spec: { podSelector: { matchLabels: { nothing: 'matches' } } } });
  const drifted = script();
  expect(drifted.status).toBe(3);
  expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/\| prod \| drift: 1 findings \|/);
  expect((JSON.parse(readFileSync(join(out, `drift-${STACK}.json`), 'utf8')) as DriftReport).findings[0].object).toBe(`NetworkPolicy/${TENANT}/allow-dns`);
  await restore(`NetworkPolicy/${TENANT}/allow-dns`);
  const clean = script();
  expect(clean.status).toBe(0);
  expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/\| prod \| no drift \|/);
}, 300_000);
