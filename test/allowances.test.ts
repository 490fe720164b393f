/**
 * Tenant allowances: validation (both sides' consent, known tenants, outside-the-cluster CIDRs, an ingress
 * namespace to come from) and the NetworkPolicies they become. What the policies allow is judged by cyclonus
 * in test/e2e/network-policy.test.ts (the matrix equals the stack's declarations); the upstream OpenAPI
 * (test/k8s-openapi.test.ts) checks their shape in the example stacks.
 */
import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import { TODAY, configProblems, exampleValues, testSecrets } from './helpers';

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const prod = () => exampleValues('prod') as Values;

describe('tenant allowances', () => {
  it('tenant-to-tenant traffic needs both sides: a one-sided declaration names both paths', () => {
    const v = prod();
    v.tenants[1].allow = { fromTenants: [] }; // team-b no longer accepts team-a
    v.tenants[2].allow = { fromTenants: ['team-b'] }; // team-c accepts team-b, which does not send
    expect(configProblems(v, { name: 'prod' })).toEqual([
      { path: 'bulwark:tenants[0].allow.toTenants[0]', message: expect.stringMatching(/names tenant team-b, but team-b does not accept traffic from team-a: .*add "team-a" to bulwark:tenants\[1\]\.allow\.fromTenants/) },
      { path: 'bulwark:tenants[2].allow.fromTenants[0]', message: expect.stringMatching(/names tenant team-b, but team-b does not send traffic to team-c: .*add "team-c" to bulwark:tenants\[1\]\.allow\.toTenants/) },
    ]);
  });

  it('refuses unknown tenants, itself, an egress CIDR inside the cluster, ingress without an ingress namespace, all at once', () => {
    const v = prod();
    delete v.ingressNamespace;
    v.tenants[0].allow.toTenants = ['team-z', 'team-a'];
    v.tenants[0].allow.egress.push({ name: 'pods', cidr: '10.244.3.0/24', ports: [{ port: 80 }] });
    expect(configProblems(v, { name: 'prod' }).map((p) => `${p.path}: ${p.message}`)).toEqual([
      expect.stringMatching(/^bulwark:tenants\[0\]\.allow\.fromIngress: is set, but bulwark:ingressNamespace is missing/),
      expect.stringMatching(/^bulwark:tenants\[0\]\.allow\.egress\[1\]\.cidr: 10\.244\.3\.0\/24 overlaps the cluster subnet 10\.244\.0\.0\/16/),
      expect.stringMatching(/^bulwark:tenants\[0\]\.allow\.toTenants\[0\]: "team-z" is not a tenant of this stack/),
      expect.stringMatching(/^bulwark:tenants\[0\]\.allow\.toTenants\[1\]: names tenant team-a itself/),
      // team-b still accepts team-a, which no longer sends: the receiver's side is one-sided now
      expect.stringMatching(/^bulwark:tenants\[1\]\.allow\.fromTenants\[0\]: names tenant team-a, but team-a does not send traffic to team-b/),
    ]);
  });

  it('become one NetworkPolicy per opening, in the tenant\'s own objects', async () => {
    const r = renderStack(validateValues('prod', prod(), { today: TODAY }), await testSecrets());
    const policies = (t: string) => Object.fromEntries(r.tenantObjects.get(t)!.filter((o) => o.kind === 'NetworkPolicy').map((o) => [o.metadata.name, o.spec]));
    expect(policies('team-a')).toMatchObject({
      'allow-from-platform-ingress': { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ protocol: 'TCP', port: 80 }] }] },
      'allow-egress-payments-db': { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.20.50.0/24' } }], ports: [{ protocol: 'TCP', port: 5432 }] }] },
      'allow-to-tenant-team-b': { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'team-b' } } }] }] },
    });
    expect(Object.keys(policies('team-b'))).toContain('allow-from-tenant-team-a');
    expect(Object.keys(policies('team-c'))).toEqual(['allow-dns', 'allow-same-namespace', 'default-deny']);
  });
});
