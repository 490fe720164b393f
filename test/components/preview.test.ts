/**
 * Preview diffs a reviewer can trust: the same stack registers the same inputs twice, and a
 * change shows up on exactly the resources it affects (a tenant's on that tenant's, a reboot
 * on the reboot step of exactly the nodes that will reboot).
 */
import { validateValues } from '../../core/stack';
import { RenderedStack, renderStack } from '../../core/render/index';
import { objectKey } from '../../core/render/k8s';
import type { TalosLine } from '../../core/talos/defaults';
import { configDigest, rebootDigest } from '../../core/talos/reboot';
import { TODAY, exampleValues, testSecrets } from '../helpers';
import { Registration, Run, runProgram } from './harness';

type Values = Record<string, unknown>;
type Diff = { changed: string[]; added: string[]; removed: string[] };

/**
 * What the engine diffs: inputs minus ignoreChanges, and the provider. Dependencies alone never
 * make an update (a new worker joins the last rollout group, so the Kubernetes upgrade step
 * gains a dependency and nothing else); `strict` compares them too.
 */
function comparable(r: Registration, strict: boolean): string {
  const raw = { ...r.raw };
  for (const k of r.ignoreChanges) delete raw[k];
  return JSON.stringify({ raw, provider: r.provider, type: r.type, ...(strict ? { deps: [...r.dependencies].sort(), parent: r.parent } : {}) });
}

/** What the engine would diff, by URN (every Kubernetes object is its own registration), named by the last URN part. */
function engineView(run: Run, strict: boolean): Map<string, { name: string; value: string }> {
  return new Map(run.registrations.map((r) => [r.urn, { name: r.urn.split('::').pop()!, value: comparable(r, strict) }]));
}

function diff(a: Run, b: Run, strict = false): Diff {
  const left = engineView(a, strict);
  const right = engineView(b, strict);
  const names = (keys: string[], view: Map<string, { name: string }>) => keys.map((k) => view.get(k)!.name).sort();
  return {
    changed: names([...left.keys()].filter((u) => right.has(u) && left.get(u)!.value !== right.get(u)!.value), left),
    added: names([...right.keys()].filter((u) => !left.has(u)), right),
    removed: names([...left.keys()].filter((u) => !right.has(u)), left),
  };
}

const base = new Map<string, Run>();
async function baseline(stack: string): Promise<Run> {
  if (!base.has(stack)) base.set(stack, await runProgram(exampleValues(stack), { stack }));
  return base.get(stack)!;
}
async function changed(stack: string, change: (v: Values) => void, strict = false): Promise<Diff> {
  const v = exampleValues(stack);
  change(v);
  const after = await runProgram(v, { stack });
  expect(after.error).toBeUndefined();
  return diff(await baseline(stack), after, strict);
}
const tenants = (v: Values) => v.tenants as Values[];
const nodes = (v: Values) => v.nodes as Values[];
const cluster = (v: Values) => v.cluster as Values;

describe('the same stack, previewed twice', () => {
  test.each(['lab', 'prod', 'saas', 'edge-store'])('%s registers identical resources with identical inputs, dependencies and parents', async (stack) => {
    expect(await changed(stack, () => {}, true)).toEqual({ changed: [], added: [], removed: [] });
  });
});

describe('a change shows on exactly what it affects', () => {
  test('a tenant\'s quota: only that tenant\'s ResourceQuota', async () => {
    const d = await changed('prod', (v) => (tenants(v)[2].quota = { 'requests.cpu': '32', 'requests.memory': '32Gi', pods: '200' }));
    expect(d).toEqual({ changed: ['ResourceQuota/team-c/tenant-quota'], added: [], removed: [] });
  });

  test('a tenant\'s self-service flag: only that tenant\'s resources', async () => {
    const d = await changed('prod', (v) => (tenants(v)[0].selfService = true));
    expect(d).toEqual({ changed: [], added: ['RoleBinding/team-a/tenant-network-admins'], removed: [] });
  });

  test('a new tenant: its own objects, nothing else touched', async () => {
    const d = await changed('prod', (v) => tenants(v).push({ name: 'team-d', groups: ['team-d'] }));
    expect(d.changed).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.added).toEqual(expect.arrayContaining(['Namespace/team-d', 'RoleBinding/team-d/tenant-admins']));
    expect(d.added.every((n) => n.includes('/team-d'))).toBe(true);
  });

  test('a new worker: its own node and steps; of the existing resources only the bootstrap health check (its node list) and the preflight check', async () => {
    const d = await changed('prod', (v) =>
      nodes(v).push({ name: 'prod-worker-4', address: '10.20.0.24', role: 'worker', diskSelector: { type: 'nvme', size: '>= 400GB' } }),
    );
    expect(d.changed).toEqual(['rollout-preflight-health', 'talos-health']);
    expect(d.added).toEqual(['prod-worker-4', 'prod-worker-4-apply', 'prod-worker-4-reboot', 'prod-worker-4-rollout']);
    expect(d.removed).toEqual([]);
  });

  test('a Talos upgrade: every node\'s rollout step (new installer and install image; a reboot per node, in order); no reboot step, nothing in Kubernetes', async () => {
    const d = await changed('prod', (v) => (cluster(v).talosVersion = 'v1.13.10'));
    const names = ['prod-cp-1', 'prod-cp-2', 'prod-cp-3', 'prod-worker-1', 'prod-worker-2', 'prod-worker-3'];
    // and each node's component: its redacted configuration preview (machineConfig) names the new install image
    expect(d.changed).toEqual([...names, ...names.map((n) => `${n}-rollout`), 'rollout-preflight-health'].sort());
    expect(d.added).toEqual([]);
  });

  test('a Kubernetes upgrade: the cluster-wide upgrade-k8s step and every node\'s rollout step (new images), no new installer', async () => {
    const d = await changed('lab', (v) => (cluster(v).kubernetesVersion = 'v1.36.5'));
    expect(d.changed).toEqual(['lab-cp-1', 'lab-cp-1-rollout', 'lab-worker-1', 'lab-worker-1-rollout', 'rollout-kubernetes-upgrade', 'rollout-preflight-health']);
  });

  test('on Talos 1.13, a change to a field that needs a reboot shows a reboot step on exactly the nodes that will reboot', async () => {
    // requiredClaims live in the AuthenticationConfiguration, a machine file on control planes (machine.files: not live on 1.13)
    const d = await changed('prod', (v) => (((v.oidc as Values).issuers as Values[])[0].requiredClaims = { email_verified: 'true', hd: 'example.com' }));
    expect(d.changed.filter((n) => n.endsWith('-reboot'))).toEqual(['prod-cp-1-reboot', 'prod-cp-2-reboot', 'prod-cp-3-reboot']);
    expect(d.changed.filter((n) => n.endsWith('-rollout'))).toEqual(['prod-cp-1-rollout', 'prod-cp-2-rollout', 'prod-cp-3-rollout']);
  });

  test('a change Talos applies live shows no reboot step', async () => {
    const d = await changed('prod', (v) => (nodes(v)[4].labels = { 'topology.kubernetes.io/zone': 'b' }));
    expect(d.changed).toEqual(['prod-worker-2', 'prod-worker-2-rollout', 'rollout-preflight-health']);
  });

  test('a new health timeout changes the gates\' bound, nothing on any node (steps compare their record and do nothing)', async () => {
    const d = await changed('lab', (v) => (v.operations = { healthTimeout: '20m' }));
    expect(d.changed).toEqual(expect.arrayContaining(['lab-cp-1-rollout', 'talos-health', 'rollout-preflight-health']));
    expect(d.changed.some((n) => n.startsWith('Namespace') || n.endsWith('-apply'))).toBe(false);
  });
});

describe('a new profile changes exactly what its controls change', () => {
  test('lab, single-team → multi-team: the objects of the controls that changed, the nodes whose configuration changed, nothing else', async () => {
    const toMultiTeam = (v: Values) => (v.profile = 'multi-team');
    const d = await changed('lab', toMultiTeam);
    // What the core renders for each, independently of the program
    const secrets = await testSecrets();
    const after = exampleValues('lab');
    toMultiTeam(after);
    const [a, b] = [exampleValues('lab'), after].map((v) => renderStack(validateValues('lab', v, { today: TODAY }), secrets));
    const status = (r: RenderedStack) => new Map(r.posture.controls.map((c) => [c.id, c.status]));
    const controls = new Set([...status(a)].filter(([id, s]) => status(b).get(id) !== s).map(([id]) => id));
    expect(controls.size).toBeGreaterThan(0);
    const objects = (r: RenderedStack) => new Map([...r.plan.objects, ...r.plan.tenantObjects].map((o) => [objectKey(o.object), o]));
    const [oa, ob] = [objects(a), objects(b)];
    const differing = [...new Set([...oa.keys(), ...ob.keys()])].filter((k) => JSON.stringify(oa.get(k)?.object) !== JSON.stringify(ob.get(k)?.object));
    expect(differing.length).toBeGreaterThan(0);
    // every object of a control whose status changed is in the diff
    for (const [k, o] of [...oa, ...ob]) if (controls.has(o.control)) expect(differing).toContain(k);
    const line = String(cluster(exampleValues('lab')).talosVersion).replace(/^v(\d+\.\d+).*$/, '$1') as TalosLine;
    const nodeSteps = a.nodes.flatMap((n, i) => [
      ...(configDigest(n.config) !== configDigest(b.nodes[i].config) || n.installer !== b.nodes[i].installer ? [`${n.name}-rollout`] : []),
      // the node's component, whose input is its configuration's redacted preview
      ...(configDigest(n.config) !== configDigest(b.nodes[i].config) ? [n.name] : []),
      ...(rebootDigest(n.config, line) !== rebootDigest(b.nodes[i].config, line) ? [`${n.name}-reboot`] : []),
    ]);
    expect(nodeSteps.length).toBeGreaterThan(0); // multi-team hardens the machine configuration too
    // a new schematic is registered with the Image Factory, the one no node uses any more is dropped (components/factory.ts)
    const registrations = [...a.schematics.keys(), ...b.schematics.keys()].filter((id) => a.schematics.has(id) !== b.schematics.has(id)).map((id) => `schematic-${id.slice(0, 16)}`);
    // the preview: exactly those objects, node steps and registrations (and the preflight check that keys on every step)
    expect([...d.changed, ...d.added, ...d.removed].sort()).toEqual([...differing, ...nodeSteps, ...registrations, 'rollout-preflight-health'].sort());
  });
});

describe('the admin client certificate is re-issued each quarter', () => {
  const on = async (today: string) => runProgram(exampleValues('prod'), { stack: 'prod', today });

  test('another day of the same quarter: only the Kubernetes provider, whose deployer certificate is per day; no command, no object', async () => {
    expect(diff(await on('2026-10-01'), await on('2026-12-31'), true)).toEqual({ changed: ['cluster-kubernetes'], added: [], removed: [] });
  });

  test('the same day: no change at all', async () => {
    expect(diff(await on('2026-12-31'), await on('2026-12-31'), true)).toEqual({ changed: [], added: [], removed: [] });
  });

  test('a new quarter: the commands that carry a talosconfig and the Kubernetes provider see a new secret; no first apply, no Kubernetes object', async () => {
    const [before, after] = [await on('2026-12-31'), await on('2027-01-01')];
    const d = diff(before, after);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect(d.changed).toEqual(expect.arrayContaining(['prod-cp-1-rollout', 'prod-worker-3-reboot', 'rollout-kubernetes-upgrade', 'rollout-preflight-health', 'cluster-kubernetes']));
    // (a control plane's etcd-member too: a live one has no create or update script, so its update runs nothing)
    expect(d.changed.every((n) => /-(rollout|reboot|upgrade|health|kubeconfig|etcd-member)$/.test(n) || n === 'cluster-kubernetes')).toBe(true);
    // only their secret stdin: the values each step compares with its record are the same, so no node is touched
    for (const n of d.changed.filter((x) => x !== 'cluster-kubernetes')) expect(after.byName.get(n)!.raw.environment).toEqual(before.byName.get(n)!.raw.environment);
  });
});
