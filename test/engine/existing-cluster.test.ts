/**
 * Every example stack in existing-cluster mode, under the real Pulumi engine and kubernetes
 * provider, against a real control plane started with the stack's rendered flags (e2e/harness):
 * up; preview --expect-no-changes after it and after refresh; a tenant change and a profile
 * change preview (and apply) exactly the objects whose rendering changed; stack export holds no
 * plaintext key material; destroy leaves nothing. For lab also: a preview with the API server
 * down, and the policy pack.
 */
import { join } from 'node:path';
import type { Stack } from '@pulumi/pulumi/automation';
import { stringify } from 'yaml';
import { CATALOGUE } from '../../core/controls/catalogue';
import { EXISTING_CLUSTER_LAYERS, objectsInLayers } from '../../core/ops/k8s';
import { PLACEHOLDER_SECRETS } from '../../core/ops/placeholder';
import { renderStack } from '../../core/render/index';
import { K8sObject, objectKey } from '../../core/render/k8s';
import { validateValues } from '../../core/stack';
import { ControlPlane, startControlPlane } from '../../e2e/harness/cluster';
import { Idp, startIdps } from '../../e2e/harness/idp';
import { prepareStack } from '../../e2e/harness/stack';
import { loadTools } from '../../e2e/harness/tools';
import { EXAMPLES, TODAY, exampleValues, testSecrets } from '../helpers';
import { allStrings, changedKubernetes, collector, engineFile, openStack, plaintextSecrets, stateOnDisk, timed, writeStackFile } from './engine';
import { policyPackUnderEngine } from './policy';

type Values = Record<string, unknown>;

const tools = loadTools();
let idp: Idp;
let rogue: Idp;
const { base, eng, project } = engineFile(__filename, async () => {
  await rogue?.stop();
  await idp?.stop();
});

beforeAll(async () => {
  ({ idp, rogue } = await startIdps(join(base, 'idp'), [...EXAMPLES]));
}, 120_000);

/** The admin kubeconfig of the control plane: what an operator stores in bulwark:existingCluster.kubeconfig. */
function adminKubeconfig(cp: ControlPlane): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'existing', cluster: { server: cp.server, 'certificate-authority-data': Buffer.from(cp.caPem).toString('base64') } }],
    users: [{ name: 'admin', user: { 'client-certificate-data': Buffer.from(cp.admin.cert!).toString('base64'), 'client-key-data': Buffer.from(cp.admin.key!).toString('base64') } }],
    contexts: [{ name: 'existing', context: { cluster: 'existing', user: 'admin' } }],
    'current-context': 'existing',
  });
}

/** An example as an existing-cluster stack: no nodes (so no dedicated nodes either); the kubeconfig is set as a secret. */
function existingValues(name: string, change: (v: Values) => void = () => {}): Values {
  const v = exampleValues(name);
  delete v.nodes;
  for (const t of (v.tenants as Values[] | undefined) ?? []) delete t.dedicatedNodes;
  change(v);
  return v;
}

/** The objects existing-cluster mode applies for these values, by key, as the program renders them. */
function expectedObjects(name: string, v: Values): Map<string, K8sObject> {
  const valid = validateValues(name, { ...v, existingCluster: { kubeconfig: 'x' } }, { today: TODAY });
  const r = renderStack(valid, PLACEHOLDER_SECRETS);
  const { objects } = objectsInLayers(r.plan, CATALOGUE, EXISTING_CLUSTER_LAYERS);
  return new Map([...objects].map((o) => [objectKey(o), o]));
}

/** Keys added, removed or changed between two renderings. */
function renderDiff(a: Map<string, K8sObject>, b: Map<string, K8sObject>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k))).sort();
}

const touched = (c: Record<string, string[]>) => [...new Set(Object.values(c).flat())].sort();

/** A profile each example can switch to and still validate in existing-cluster mode. */
const OTHER_PROFILE: Record<string, string> = { lab: 'multi-team', prod: 'single-team', saas: 'multi-team', 'edge-store': 'multi-team', airgap: 'single-team' };

async function setKubeconfig(stack: Stack, cp: ControlPlane): Promise<void> {
  await stack.setConfig('bulwark:existingCluster.kubeconfig', { value: adminKubeconfig(cp), secret: true }, true);
}

async function present(cp: ControlPlane, o: K8sObject): Promise<{ status: number; terminating: boolean }> {
  const coll = await cp.kube.collection(o.apiVersion, o.kind, o.metadata.namespace, cp.admin);
  const r = await cp.kube.request(cp.admin, 'GET', `${coll}/${encodeURIComponent(o.metadata.name)}`);
  return { status: r.status, terminating: !!r.json?.metadata?.deletionTimestamp };
}

describe.each(EXAMPLES)('%s in existing-cluster mode under the real engine', (name) => {
  let cp: ControlPlane;
  let stack: Stack;
  let values: Values;
  let applied: Map<string, K8sObject>;

  beforeAll(async () => {
    const secrets = await testSecrets();
    const st = await prepareStack(name, idp.issuer, idp.caPem, secrets);
    cp = await timed(`${name}: control plane start`, () => startControlPlane({ dir: join(base, name), flags: st.flags, files: st.files, secrets, tools }));
    values = existingValues(name);
    writeStackFile(project, name, values);
    stack = await openStack(eng, project, name);
    await setKubeconfig(stack, cp);
  }, 300_000);

  afterAll(async () => {
    await cp?.stop();
  });

  test('up applies exactly the existing-cluster objects, each present on the cluster', async () => {
    const c = collector();
    const r = await timed(`${name}: up`, () => stack.up({ onEvent: c.onEvent, color: 'never' }));
    expect(r.summary.result).toBe('succeeded');
    applied = expectedObjects(name, values);
    expect(c.steps().byOp.get('create')?.filter((n) => n.includes('/'))).toEqual([...applied.keys()].sort());
    for (const o of applied.values()) expect({ key: objectKey(o), ...(await present(cp, o)) }).toEqual({ key: objectKey(o), status: 200, terminating: false });
    // the people's kubeconfig names the existing cluster's server, not bulwark:cluster.endpoint
    expect(String(r.outputs.kubeconfig?.value ?? '')).toContain(`server: ${cp.server}`);
  }, 600_000);

  test('preview --expect-no-changes after up, and after refresh', async () => {
    await timed(`${name}: preview --expect-no-changes`, () => stack.preview({ expectNoChanges: true, color: 'never' }));
    const r = await timed(`${name}: refresh`, () => stack.refresh({ color: 'never' }));
    expect(r.summary.result).toBe('succeeded');
    await timed(`${name}: preview --expect-no-changes after refresh`, () => stack.preview({ expectNoChanges: true, color: 'never' }));
  }, 600_000);

  test('the state holds no plaintext key material (every string, base64-decoded too)', async () => {
    const state = { deployment: stateOnDisk(eng, name) };
    const strings = allStrings(state.deployment);
    const keyB64 = Buffer.from(cp.admin.key!).toString('base64');
    const keyBody = cp.admin.key!.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    expect(strings.length).toBeGreaterThan(100);
    expect(plaintextSecrets(strings, [keyB64, keyBody])).toEqual([]);
    // the kubeconfig is in state, encrypted
    expect(JSON.stringify(state.deployment)).toContain('4dabf18193072939515e22adb298388d');
  }, 120_000);

  const tenantChange = (v: Values) => {
    const t = (v.tenants as Values[])[0];
    t.groups = [...((t.groups as string[]) ?? []), 'engine-suite-extra-group'];
  };

  test('a tenant change previews and applies exactly that tenant\'s changed objects', async () => {
    const after = existingValues(name, tenantChange);
    const expected = renderDiff(applied, expectedObjects(name, after));
    const tenant = ((after.tenants as Values[])[0].name as string);
    expect(expected.length).toBeGreaterThan(0);
    for (const k of expected) expect(k.split('/')[1]).toBe(tenant); // in that tenant's namespace
    writeStackFile(project, name, after);
    await setKubeconfig(stack, cp);
    const p = collector();
    await timed(`${name}: preview (tenant change)`, () => stack.preview({ onEvent: p.onEvent, color: 'never' }));
    expect(touched(changedKubernetes(p.steps()))).toEqual(expected);
    const u = collector();
    const r = await timed(`${name}: up (tenant change)`, () => stack.up({ onEvent: u.onEvent, color: 'never' }));
    expect(r.summary.result).toBe('succeeded');
    expect(touched(changedKubernetes(u.steps()))).toEqual(expected);
    values = after;
    applied = expectedObjects(name, after);
  }, 600_000);

  test('a profile change previews and applies exactly the objects of the controls that changed', async () => {
    const after = existingValues(name, (v) => {
      tenantChange(v);
      v.profile = OTHER_PROFILE[name];
    });
    const expected = renderDiff(applied, expectedObjects(name, after));
    expect(expected.length).toBeGreaterThan(0);
    writeStackFile(project, name, after);
    await setKubeconfig(stack, cp);
    const p = collector();
    await timed(`${name}: preview (profile ${values.profile} → ${after.profile})`, () => stack.preview({ onEvent: p.onEvent, color: 'never' }));
    expect(touched(changedKubernetes(p.steps()))).toEqual(expected);
    const r = await timed(`${name}: up (profile change)`, () => stack.up({ color: 'never' }));
    expect(r.summary.result).toBe('succeeded');
    values = after;
    applied = expectedObjects(name, after);
    for (const o of applied.values()) expect((await present(cp, o)).status).toBe(200);
  }, 600_000);

  if (name === 'lab')
    test('the policy pack: under `pulumi preview --policy-pack policy` if the CLI can load it, else its rules on the real engine\'s state', async () => {
      await policyPackUnderEngine(stack, project, name);
    }, 600_000);

  test('destroy leaves nothing on the cluster and nothing in the stack', async () => {
    const r = await timed(`${name}: destroy`, () => stack.destroy({ color: 'never' }));
    expect(r.summary.result).toBe('succeeded');
    for (const o of applied.values()) {
      const p = await present(cp, o);
      // a Namespace may still be finalizing: it is deleted, and goes once its contents are gone
      expect({ key: objectKey(o), gone: p.status === 404 || p.terminating }).toEqual({ key: objectKey(o), gone: true });
    }
    const state = await stack.exportStack();
    expect((state.deployment as { resources?: unknown[] }).resources ?? []).toEqual([]);
    await stack.workspace.removeStack(name);
  }, 600_000);
});

describe('a preview with the API server down (a Talos repair, a CI runner without API access)', () => {
  test('after a first up, preview still works and shows no change', async () => {
    const secrets = await testSecrets();
    const st = await prepareStack('lab', idp.issuer, idp.caPem, secrets);
    const cp = await timed('lab-offline: control plane start', () => startControlPlane({ dir: join(base, 'lab-offline'), flags: st.flags, files: st.files, secrets, tools }));
    writeStackFile(project, 'lab-offline', existingValues('lab'));
    const stack = await openStack(eng, project, 'lab-offline');
    await setKubeconfig(stack, cp);
    try {
      expect((await timed('lab-offline: up', () => stack.up({ color: 'never' }))).summary.result).toBe('succeeded');
    } finally {
      await cp.stop();
    }
    const p = collector();
    const r = await timed('lab-offline: preview, API server down', () => stack.preview({ onEvent: p.onEvent, color: 'never' }));
    console.log(`lab-offline preview with the API server down:\n${r.stdout.split('\n').filter((l) => /warning|unreachable|Resources:|[+~-] /.test(l)).slice(0, 20).join('\n')}`);
    expect(changedKubernetes(p.steps())).toEqual({});
    await stack.workspace.removeStack('lab-offline', { force: true });
  }, 600_000);
});
