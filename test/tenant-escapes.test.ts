/**
 * GitHub issue 11, items 6-9 (tenant escapes), the parts a render shows: validation of dedicated
 * pools and self-service, where pool labels go, the tenant roles, the shape of the policies. The
 * policies' CEL is judged by the real API server in test/e2e/tenant-escapes.ts.
 */
import { parseAllDocuments } from 'yaml';

import { strictEgress } from '../core/controls/catalogue/tenancy';
import { renderStack } from '../core/render/index';

import { configProblems, example, exampleValues, testSecrets } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = Record<string, any>;
const values = (name: string) => structuredClone(exampleValues(name)) as Raw;

const problems = (v: Raw) => configProblems(v);
function problemAt(list: { path: string; message: string }[], path: string): string {
  const hit = list.find((p) => p.path === path);
  if (!hit) throw new Error(`no problem at ${path}; got:\n${list.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
  return hit.message;
}

describe('item 6: dedicated pools are exclusive and labelled so no kubelet can join them', () => {
  const acmeNode = (v: Raw) => v.nodes.findIndex((n: Raw) => n.name === 'saas-acme-1');

  it('a pool key outside node-restriction.kubernetes.io/ is refused, naming the key and the prefixed key to use', () => {
    const v = values('saas');
    v.tenants[0].dedicatedNodes = { 'bulwark.dev/pool': 'acme' };
    v.nodes[acmeNode(v)].labels = { 'bulwark.dev/pool': 'acme' };
    v.nodes[acmeNode(v)].taints = [{ key: 'bulwark.dev/pool', value: 'acme', effect: 'NoSchedule' }];
    const msg = problemAt(problems(v), 'bulwark:tenants[0].dedicatedNodes["bulwark.dev/pool"]');
    expect(msg).toMatch(/outside node-restriction\.kubernetes\.io\/.*any kubelet may set it on its own node/);
    expect(msg).toContain('use node-restriction.kubernetes.io/pool');
  });

  it('a pool node without a NoSchedule taint for the pool is refused (other tenants would be scheduled there)', () => {
    const v = values('saas');
    const i = acmeNode(v);
    v.nodes[i].taints = [];
    expect(problemAt(problems(v), `bulwark:nodes[${i}].taints`)).toMatch(/no NoSchedule or NoExecute taint for tenant acme's dedicated pool.*key: node-restriction\.kubernetes\.io\/pool, value: acme, effect: NoSchedule/);
    v.nodes[i].taints = [{ key: 'node-restriction.kubernetes.io/pool', value: 'acme', effect: 'PreferNoSchedule' }];
    expect(problemAt(problems(v), `bulwark:nodes[${i}].taints`)).toMatch(/no NoSchedule or NoExecute taint/);
  });

  it('two tenants cannot share a dedicated node, and an empty dedicatedNodes is refused', () => {
    const v = values('saas');
    v.tenants[1].dedicatedNodes = { 'node-restriction.kubernetes.io/pool': 'acme' };
    expect(problemAt(problems(v), 'bulwark:tenants[1].dedicatedNodes')).toMatch(/node saas-acme-1, which tenant acme \(bulwark:tenants\[0\]\) has as a dedicated node too/);
    v.tenants[1].dedicatedNodes = {};
    expect(problemAt(problems(v), 'bulwark:tenants[1].dedicatedNodes')).toMatch(/is empty/);
  });

  it('pool labels stay out of the machine configuration (Talos writes labels as the kubelet) and are applied to the Node by the deployer', async () => {
    const r = renderStack(example('saas'), await testSecrets());
    const docs = parseAllDocuments(r.nodes.find((n) => n.name === 'saas-acme-1')!.config).map((d) => d.toJS());
    const nodeDoc = docs.find((d) => d.kind === 'KubeNodeConfig');
    expect(Object.keys(nodeDoc.labels ?? {}).filter((k) => k.startsWith('node-restriction.kubernetes.io/'))).toEqual([]);
    expect(nodeDoc.taints).toMatchObject({ 'node-restriction.kubernetes.io/pool': 'acme:NoSchedule' });
    const node = r.objects.find((o) => o.kind === 'Node')!;
    expect(node).toEqual({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'saas-acme-1', labels: { 'node-restriction.kubernetes.io/pool': 'acme' }, annotations: { 'bulwark.dev/control': 'tenancy.nodes.pool-labels' } } });
    expect(r.objects.filter((o) => o.kind === 'Node')).toHaveLength(1);
  });

  it('the node-isolation policy guards pods (create and update) in tenant namespaces of the shared profiles, with the namespace\'s own pool', async () => {
    for (const name of ['prod', 'saas']) {
      const r = renderStack(example(name), await testSecrets());
      const p = r.objects.find((o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === 'bulwark-node-isolation')!;
      const spec = p.spec as Raw;
      expect(spec.matchConstraints.resourceRules).toEqual([{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE', 'UPDATE'] }]);
      expect(spec.variables[0].expression).toContain("namespaceObject.metadata.annotations['bulwark.dev/node-selector']");
      // One rule per route, each message naming it: nodeName, nodeSelector, node affinity, tolerations.
      const messages = (spec.validations as Raw[]).map((x) => x.message as string);
      expect(messages.map((m) => /spec\.nodeName|may select|require or prefer|tolerate/.exec(m)?.[0])).toEqual(['spec.nodeName', 'may select', 'require or prefer', 'tolerate']);
      expect(JSON.stringify(spec.validations)).not.toContain('bulwark.dev/pool');
    }
    const lab = renderStack(example('lab'), await testSecrets());
    expect(lab.objects.some((o) => o.metadata.name === 'bulwark-node-isolation')).toBe(false);
  });
});

describe('item 7: Endpoints and EndpointSlices are read-only for tenants (CVE-2021-25740)', () => {
  const WRITES = ['create', 'update', 'patch', 'delete', 'deletecollection', '*'];
  const grants = (rules: Raw[], group: string, resource: string, verb: string) =>
    rules.some((r) => (r.apiGroups.includes(group) || r.apiGroups.includes('*')) && (r.resources.includes(resource) || r.resources.includes('*')) && (r.verbs.includes(verb) || r.verbs.includes('*')));

  it.each(['lab', 'prod', 'saas'])('%s: no role bound to tenants writes them; the tenant admin role reads them', async (name) => {
    const r = renderStack(example(name), await testSecrets());
    const bound = new Set([...r.tenantObjects.values()].flat().filter((o) => o.kind === 'RoleBinding').map((o) => (o.roleRef as Raw).name));
    expect(bound.size).toBeGreaterThan(0);
    for (const role of r.objects.filter((o) => o.kind === 'ClusterRole' && bound.has(o.metadata.name))) {
      const rules = role.rules as Raw[];
      for (const [group, resource] of [['', 'endpoints'], ['discovery.k8s.io', 'endpointslices']])
        for (const verb of WRITES) expect([role.metadata.name, group, resource, verb, grants(rules, group, resource, verb)]).toEqual([role.metadata.name, group, resource, verb, false]);
    }
    const admin = r.objects.find((o) => o.metadata.name === 'bulwark:tenant-admin')!.rules as Raw[];
    expect(['get', 'list', 'watch'].every((v) => grants(admin, '', 'endpoints', v) && grants(admin, 'discovery.k8s.io', 'endpointslices', v))).toBe(true);
  });
});

describe('item 8: no NetworkPolicy self-service where the profile requires strict egress', () => {
  it('selfService under hostile-multi-tenant is refused, naming the key and why', () => {
    const v = values('saas');
    v.tenants[1].selfService = true;
    expect(problemAt(problems(v), 'bulwark:tenants[1].selfService')).toMatch(/profile hostile-multi-tenant requires strict egress.*allow any egress themselves.*remove selfService/);
  });

  it('selfService under multi-team stays allowed (prod has a self-service tenant)', () => {
    expect(problems(values('prod'))).toEqual([]);
  });

  it('strictEgress is what the rendered network policies do: no same-namespace egress', async () => {
    for (const name of ['prod', 'saas']) {
      const v = example(name);
      const r = renderStack(v, await testSecrets());
      const same = r.tenantObjects.get(v.stack.tenants[0].name)!.find((o) => o.metadata.name === 'allow-same-namespace')!;
      expect([name, strictEgress(v.profile.settings)]).toEqual([name, !((same.spec as Raw).policyTypes as string[]).includes('Egress')]);
    }
  });
});

describe('item 9: the namespace-label policy has no escape by label removal or by a system: prefix', () => {
  it.each(['lab', 'prod', 'saas'])('%s: bound to every namespace, applies when the old or new namespace is a tenant\'s, exempts exact identities only', async (name) => {
    const r = renderStack(example(name), await testSecrets());
    const binding = r.objects.find((o) => o.kind === 'ValidatingAdmissionPolicyBinding' && o.metadata.name === 'bulwark-namespace-labels')!;
    expect((binding.spec as Raw).matchResources).toBeUndefined();
    const spec = r.objects.find((o) => o.kind === 'ValidatingAdmissionPolicy' && o.metadata.name === 'bulwark-namespace-labels')!.spec as Raw;
    const conditions = Object.fromEntries((spec.matchConditions as Raw[]).map((c) => [c.name, c.expression]));
    expect(conditions['tenant-namespace']).toMatch(/oldObject\.metadata\.labels.*\|\|.*object\.metadata\.labels/);
    expect(conditions['not-platform-identity']).toBe('!(request.userInfo.username in ["bulwark:deployer"] || request.userInfo.groups.exists(g, g in ["system:masters"]))');
    // No policy exempts by prefix: every service account is a system: user.
    for (const p of r.objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy')) expect(JSON.stringify(p.spec)).not.toMatch(/startsWith\(\\?['"]system:/);
  });
});
