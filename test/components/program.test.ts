/**
 * The stack program under Pulumi's mock runtime: the resource graph of every example stack,
 * its ordering, its outputs, invalid configuration, and existing-cluster mode.
 */
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { objectKey } from '../../core/render/k8s';
import { renderStack } from '../../core/render/index';
import { SCRIPTS } from '../../core/talos/commands';
import { EXAMPLES, example, exampleValues, testSecrets } from '../helpers';
import { Registration, Run, SECRET_SIG, ancestors, appliedObjects, isSecretValue, runExample, runProgram } from './harness';

const FIXED = new Set<string>(Object.values(SCRIPTS));
const typeOf = (r: Registration) => r.type;
const leafType = (urn: string) => urn.split('::')[2].split('$').pop()!;
const commands = (run: Run) => run.registrations.filter((r) => r.type === 'command:local:Command');
/** What the program registers with the cluster provider: one typed resource per rendered object. */
const k8sResources = (run: Run) => run.registrations.filter((r) => r.type.startsWith('kubernetes:'));
const get = (run: Run, name: string) => {
  const r = run.byName.get(name);
  if (!r) throw new Error(`no resource named ${name}`);
  return r;
};

const runs = new Map<string, Run>();
beforeAll(async () => {
  for (const name of EXAMPLES) runs.set(name, await runExample(name));
});

describe.each(EXAMPLES)('example stack %s', (name) => {
  const run = () => runs.get(name)!;
  const valid = example(name);
  const nodes = valid.stack.nodes;
  const firstCp = nodes.find((n) => n.role === 'controlplane')!;

  test('registers without error', () => expect(run().error).toBeUndefined());

  test('one component per concern, each with its type token', () => {
    const count = (t: string) => run().registrations.filter((r) => r.type === t).length;
    expect(count('bulwark:talos:ClusterSecrets')).toBe(1);
    expect(count('bulwark:talos:Node')).toBe(nodes.length);
    expect(count('bulwark:talos:Bootstrap')).toBe(1);
    expect(count('bulwark:talos:Rollout')).toBe(1);
    expect(count('bulwark:k8s:ClusterLayer')).toBe(1);
    // no component per tenant: a tenant's objects are named for its namespace (500 components cost ~110 MB for nothing, bench/program.bench.ts)
    expect(count('bulwark:k8s:Tenant')).toBe(0);
    // nothing the provider expands by asking the cluster at preview (a ConfigGroup fails every preview once it is
    // unreachable); and none of the component resources the engine suite's provider is built without
    // (e2e/tools/pulumi.sh k8s_provider_drop_components: yaml/v2, helm.sh/v4 Chart, kustomize/v2)
    const expanded = /^kubernetes:(yaml|helm\.sh|kustomize)\//;
    expect(run().registrations.filter((r) => expanded.test(r.type) || r.type.startsWith('kubernetes:helm'))).toEqual([]);
  });

  test('every resource is parented to a Bulwark component (none hangs off the stack)', () => {
    for (const r of run().registrations) {
      if (r.type === 'pulumi:pulumi:Stack') continue;
      if (r.type.startsWith('bulwark:')) {
        expect(leafType(r.parent)).toBe('pulumi:pulumi:Stack'); // top-level components sit on the stack
        continue;
      }
      expect(leafType(r.parent)).toMatch(/^bulwark:/);
    }
    const parentOf = (n: string) => leafType(get(run(), n).parent);
    expect(parentOf(`${firstCp.name}-apply`)).toBe('bulwark:talos:Node');
    expect(parentOf(`${firstCp.name}-rollout`)).toBe('bulwark:talos:Rollout');
    expect(parentOf('talos-bootstrap')).toBe('bulwark:talos:Bootstrap');
    expect(parentOf('cluster-secrets-bundle')).toBe('bulwark:talos:ClusterSecrets');
    expect(parentOf('cluster-kubernetes')).toBe('bulwark:k8s:ClusterLayer');
    for (const t of valid.stack.tenants) expect(parentOf(`Namespace/${t.name}`)).toBe('bulwark:k8s:ClusterLayer');
  });

  test('every command runs one of the fixed scripts under /bin/sh -c', () => {
    for (const c of commands(run())) {
      for (const k of ['create', 'update', 'delete']) if (c.raw[k] !== undefined) expect(FIXED.has(c.raw[k] as string)).toBe(true);
      expect(c.raw.interpreter).toEqual(['/bin/sh', '-c']);
    }
  });

  test('per node: a first apply (maintenance mode) and a rollout step (Talos upgrade, then configuration); a reboot step only on Talos 1.13', () => {
    const line113 = valid.stack.cluster.talosVersion.startsWith('v1.13');
    for (const n of nodes) {
      const apply = get(run(), `${n.name}-apply`);
      expect(apply.raw.create).toBe(SCRIPTS.provision);
      expect(apply.raw.update).toBe(SCRIPTS.provisionUpdate); // never the insecure apply again
      // A pinned maintenance-mode certificate reaches the first apply (talosctl --cert-fingerprint).
      expect(apply.raw.environment).toEqual({ BULWARK_NODE: n.address, ...(n.certFingerprint ? { BULWARK_CERT_FINGERPRINT: n.certFingerprint } : {}) });
      expect(apply.ignoreChanges).toEqual(['stdin']);
      const step = get(run(), `${n.name}-rollout`);
      expect(step.raw.update).toBe(SCRIPTS.nodeStep);
      expect(step.raw.logging).toBe('none'); // a failed apply may print configuration
      expect(step.additionalSecretOutputs.sort()).toEqual(['stderr', 'stdout']);
      expect(isSecretValue(step.raw.stdin)).toBe(true);
      expect(run().byName.has(`${n.name}-reboot`)).toBe(line113);
    }
  });

  test('first applies depend on nothing but the cluster secrets and the registration of their schematic', async () => {
    const secrets = get(run(), 'cluster-secrets-bundle').urn;
    const rendered = renderStack(valid, await testSecrets());
    for (const n of rendered.nodes)
      expect(get(run(), `${n.name}-apply`).dependencies.sort()).toEqual([secrets, get(run(), `schematic-${n.schematicId.slice(0, 16)}`).urn].sort());
  });

  test('every schematic is registered once with the stack\'s Image Factory, its YAML and offline id as inputs; the rollout waits for all', async () => {
    const rendered = renderStack(valid, await testSecrets());
    const regs = run().registrations.filter((r) => r.name.startsWith('schematic-') && r.custom);
    expect(regs.map((r) => r.raw.schematicId).sort()).toEqual([...rendered.schematics.keys()].sort());
    for (const r of regs) {
      expect(r.raw.factory).toBe(valid.stack.imageFactory);
      expect(r.raw.yaml).toBe(rendered.schematics.get(r.raw.schematicId as string));
      expect(leafType(r.parent)).toBe('bulwark:talos:Schematics');
    }
    const rollout = run().registrations.filter((r) => r.type === 'bulwark:talos:Rollout' || r.name.endsWith('-rollout'));
    if (rollout.length) for (const r of regs) expect(run().registrations.some((x) => x.dependencies.includes(r.urn) && /rollout|preflight/.test(x.name))).toBe(true);
  });

  test('bootstrap after the first control plane is configured; health after every node; kubeconfig after health', async () => {
    const bootstrap = get(run(), 'talos-bootstrap');
    expect(bootstrap.dependencies).toContain(get(run(), `${firstCp.name}-apply`).urn);
    expect(bootstrap.raw.environment).toEqual(expect.objectContaining({ BULWARK_NODE: firstCp.address }));
    expect(bootstrap.ignoreChanges.sort()).toEqual(['environment', 'stdin']);
    const health = get(run(), 'talos-health');
    expect(health.dependencies).toContain(bootstrap.urn);
    for (const n of nodes) expect(health.dependencies).toContain(get(run(), `${n.name}-apply`).urn);
    expect(health.raw.environment).toEqual({
      BULWARK_NODE: firstCp.address,
      // effective rollout settings: the edge overlay raises the health timeout to at least 20m
      BULWARK_TIMEOUT: renderStack(valid, await testSecrets()).operations.healthTimeout,
      BULWARK_CONTROL_PLANE_NODES: nodes.filter((n) => n.role === 'controlplane').map((n) => n.address).join(','),
      BULWARK_WORKER_NODES: nodes.filter((n) => n.role === 'worker').map((n) => n.address).join(','),
    });
    // No system:masters kubeconfig is fetched into state: the program deploys as bulwark:deployer.
    expect(run().registrations.filter((r) => r.type === 'command:local:Command' && /talosctl kubeconfig/.test(String(r.raw.create)))).toEqual([]);
  });

  test('every Kubernetes resource goes through the cluster provider, after the health gate', () => {
    const provider = get(run(), 'cluster-kubernetes');
    const kubeconfig = get(run(), 'talos-health').urn;
    expect(provider.dependencies).toContain(kubeconfig);
    expect(provider.raw.clusterIdentifier).toBe(`bulwark:${valid.stack.cluster.name}`);
    expect(isSecretValue(provider.raw.kubeconfig)).toBe(true);
    expect(k8sResources(run()).length).toBeGreaterThan(0);
    for (const r of k8sResources(run())) {
      expect(r.provider?.startsWith(`${provider.urn}::`)).toBe(true);
      expect(r.deleteBeforeReplace).toBe(true);
    }
    for (const r of k8sResources(run())) expect(ancestors(run().registrations, r.urn).has(kubeconfig)).toBe(true);
  });

  test('Kubernetes objects are exactly the rendered objects, each a typed resource named kind/namespace/name, a child of the cluster layer; a tenant\'s in its namespace', async () => {
    const rendered = renderStack(valid, await testSecrets());
    const expected = [...rendered.objects, ...[...rendered.tenantObjects.values()].flat()];
    expect(k8sResources(run()).map((r) => r.name).sort()).toEqual(expected.map(objectKey).sort());
    expect(appliedObjects(run()).map((a) => a.key).sort()).toEqual(expected.map(objectKey).sort());
    for (const r of k8sResources(run())) expect(r.raw.metadata).toEqual(expect.objectContaining({ name: expect.any(String) }));
    const layer = run().registrations.find((r) => r.type === 'bulwark:k8s:ClusterLayer')!;
    for (const o of rendered.objects) expect(get(run(), objectKey(o)).parent).toBe(layer.urn);
    for (const [tenant, objects] of rendered.tenantObjects)
      for (const o of objects) {
        const r = get(run(), objectKey(o));
        expect(r.parent).toBe(layer.urn);
        expect(r.name.split('/')[1]).toBe(tenant); // Namespace/<tenant>, Kind/<tenant>/name: the name says whose
        expect(r.raw).toEqual(JSON.parse(JSON.stringify(o)));
      }
  });

  test('explicit order: Namespace before what lives in it, policy before binding, every tenant object after every cluster-wide object', async () => {
    const rendered = renderStack(valid, await testSecrets());
    const byName = run().byName;
    const regs = run().registrations;
    for (const r of k8sResources(run())) {
      const ns = (r.raw.metadata as { namespace?: string }).namespace;
      if (ns) expect(r.dependencies).toContain(byName.get(`Namespace/${ns}`)!.urn);
      if (r.type.endsWith(':ValidatingAdmissionPolicyBinding'))
        expect(r.dependencies).toContain(byName.get(`ValidatingAdmissionPolicy/${(r.raw.spec as { policyName: string }).policyName}`)!.urn);
    }
    const clusterWide = rendered.objects.map((o) => get(run(), objectKey(o)).urn);
    for (const objects of rendered.tenantObjects.values())
      for (const o of objects) {
        const before = ancestors(regs, get(run(), objectKey(o)).urn);
        for (const c of clusterWide) expect(before.has(c)).toBe(true);
      }
  });

  test('stack outputs: endpoint, OIDC kubeconfig (plain), talosconfig (secret), posture, installers; no break-glass credential', async () => {
    const rendered = renderStack(valid, await testSecrets());
    const o = run().outputs as Record<string, unknown>;
    expect(o.endpoint).toBe(valid.stack.cluster.endpoint);
    expect(o.posture).toEqual({ profile: rendered.posture.profile, ...rendered.posture.summary });
    expect(o.nodes).toEqual(Object.fromEntries(rendered.nodes.map((n) => [n.name, { role: n.role, address: n.address, installer: n.installer, schematic: n.schematicId, bootMedia: n.bootMedia }])));
    expect(o.breakGlassKubeconfig).toBeUndefined(); // minted on demand by npm run break-glass (test/components/deployer.test.ts)
    for (const k of ['talosconfig']) {
      expect(await pulumi.isSecret(o[k] as pulumi.Output<string>)).toBe(true);
      expect(isSecretValue(run().stackOutputs[k])).toBe(true);
    }
    expect(await pulumi.isSecret(o.kubeconfig as pulumi.Output<string>)).toBe(false);
    const kubeconfig = run().stackOutputs.kubeconfig as string;
    expect(kubeconfig).toBe(rendered.kubeconfig);
    expect(kubeconfig).toContain('oidc-login');
  });
});

describe('invalid configuration', () => {
  test('fails with every problem, as a RunError, before any resource is registered', async () => {
    const values = exampleValues('prod');
    (values.nodes as Record<string, unknown>[])[0].address = 'not an address';
    (values.tenants as Record<string, unknown>[])[1].name = 'Team_B';
    values.nodez = [];
    const run = await runProgram(values, { stack: 'prod', bare: true });
    expect(pulumi.RunError.isInstance(run.error)).toBe(true);
    const message = (run.error as Error).message;
    expect(message).toMatch(/^stack "prod" is invalid \(\d+ problems\):\n/);
    expect(message).toContain('bulwark:nodes[0].address');
    expect(message).toContain('bulwark:tenants[1].name');
    expect(message).toContain('bulwark:nodez');
    expect(run.registrations).toEqual([]);
  });
});

describe('existing-cluster mode', () => {
  const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nEXISTING\n-----END CERTIFICATE-----\n').toString('base64');
  const KUBECONFIG = [
    'apiVersion: v1', 'kind: Config', 'current-context: ops',
    'clusters:', '- name: ops', '  cluster:', '    server: https://existing.example.com:6443', `    certificate-authority-data: ${CA}`,
    'contexts:', '- name: ops', '  context:', '    cluster: ops', '    user: admin',
    'users:', '- name: admin', '  user:', '    token: EXISTING-ADMIN-TOKEN', '',
  ].join('\n');
  let run: Run;
  beforeAll(async () => {
    const values = exampleValues('saas');
    delete values.nodes;
    // dedicated nodes are validated against bulwark:nodes, which an existing cluster does not list
    for (const t of values.tenants as Record<string, unknown>[]) delete t.dedicatedNodes;
    values.existingCluster = { kubeconfig: KUBECONFIG };
    run = await runProgram(values, { stack: 'saas-existing', secretKeys: ['bulwark:existingCluster'] });
  });

  test('applies only the Kubernetes, tenancy and OIDC-RBAC layers: no node, no Talos command, no cluster secrets', () => {
    expect(run.error).toBeUndefined();
    const types = new Set(run.registrations.map(typeOf));
    expect(types.has('command:local:Command')).toBe(false);
    expect([...types].some((t) => t.startsWith('bulwark:talos:') || t.startsWith('pulumi-nodejs:dynamic'))).toBe(false);
    const names = appliedObjects(run).map((a) => a.key);
    expect(names).toContain('ClusterRoleBinding/bulwark:platform-admins');
    expect(names).toContain('ValidatingAdmissionPolicy/bulwark-sandbox-required');
    expect(names).toContain('Namespace/acme');
    // the RuntimeClass needs Bulwark's sandbox nodes (runtime layer): not applied to a cluster Bulwark did not build
    expect(names.some((n) => n.startsWith('RuntimeClass/'))).toBe(false);
  });

  test('the provider uses the stack\'s kubeconfig, as a secret', () => {
    const provider = run.byName.get('cluster-kubernetes')!;
    expect(isSecretValue(provider.raw.kubeconfig)).toBe(true);
    expect((provider.raw.kubeconfig as { value: string }).value).toBe(KUBECONFIG);
    for (const r of run.registrations) expect(JSON.stringify(r.raw).includes('EXISTING-ADMIN-TOKEN') && !isSecretValue(r.raw.kubeconfig)).toBe(false);
  });

  test('outputs: the OIDC kubeconfig trusts the existing cluster\'s CA and names its server; no Talos credentials', () => {
    const o = run.outputs as Record<string, unknown>;
    expect(o.talosconfig).toBeUndefined();
    expect(o.breakGlassKubeconfig).toBeUndefined();
    expect(o.nodes).toEqual({});
    const kc = parse(run.stackOutputs.kubeconfig as string) as { clusters: { cluster: { 'certificate-authority-data': string; server: string } }[] };
    expect(kc.clusters[0].cluster['certificate-authority-data']).toBe(CA);
    // the server the existing cluster's kubeconfig names, not bulwark:cluster.endpoint
    expect(kc.clusters[0].cluster.server).toBe('https://existing.example.com:6443');
    expect(JSON.stringify(run.stackOutputs)).not.toContain('EXISTING-ADMIN-TOKEN');
  });

  test('stack outputs carry no secret marker where none is needed', () => {
    expect(Object.values(run.stackOutputs).some(isSecretValue)).toBe(false);
    expect(SECRET_SIG).toHaveLength(32);
  });
});
