/**
 * The rendered NetworkPolicies mean what the profile claims, judged by cyclonus (an outside NetworkPolicy
 * simulator, built by `npm run e2e:tools`). For each example stack: the policies out of the renderer, a model
 * with two pods per tenant namespace, a kube-system DNS pod (k8s-app=kube-dns) and an address outside the
 * cluster; cyclonus computes ingress, egress and combined connectivity on TCP 80, UDP 53 and TCP 53, and
 * the test compares every cell with the matrix the profile's claims imply. Results: out/e2e/results.json,
 * each claim naming its judge.
 */
import type { StackConfig } from '../../core/config/schema';
import { strictEgress } from '../../core/controls/catalogue/tenancy';
import { verificationPath } from '../../core/posture/verification';
import { renderStack } from '../../core/render/index';
import { REPO_ROOT } from '../../core/stack';
import { Cyclonus, type ExternalTraffic, type Matrices, type ModelPod, type PortProtocol, cyclonusAbsent, cyclonusVersion } from '../../e2e/harness/cyclonus';
import { Results } from '../../e2e/harness/results';
import { EXAMPLES, example, testSecrets } from '../helpers';

if (cyclonusAbsent) throw new Error(cyclonusAbsent);

const CONTROL = 'tenancy.network.default-deny';
const PORTS: PortProtocol[] = [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }];
const isDns = (p: PortProtocol) => p.port === 53;
/** TEST-NET-1 (RFC 5737): stands for "anywhere outside"; simulated only. */
const OUTSIDE = '192.0.2.10';
const DNS: ModelPod = { namespace: 'kube-system', name: 'coredns', labels: { 'k8s-app': 'kube-dns' }, ip: '10.244.0.10' };

/** What each profile says about tenant traffic beyond default-deny (profiles/*.yaml, docs). */
const PROFILE_CLAIMS: Record<string, { sameNamespace: 'both-ways' | 'ingress-only' }> = {
  'multi-team': { sameNamespace: 'both-ways' },
  // strict egress: a tenant pod sends only DNS queries, even within its namespace; it still accepts its namespace
  'hostile-multi-tenant': { sameNamespace: 'ingress-only' },
};

const results = new Results(example(EXAMPLES[0]).stack.cluster.kubernetesVersion, `cyclonus ${cyclonusVersion}`);
afterAll(() => {
  results.write(verificationPath(REPO_ROOT));
  console.log(`cyclonus results (${verificationPath(REPO_ROOT)}):\n${results.table()}`);
});

/** What the stack declares beyond the profile: tenant-to-tenant pairs both sides consented to, ingress-controller ports. */
interface Declared {
  /** `from->to` tenant namespaces */
  tenantPairs: Set<string>;
  ingressNamespace?: string;
  /** tenant -> ports (`80/TCP`) the platform ingress may reach */
  fromIngress: Map<string, Set<string>>;
}

function declared(stack: StackConfig): Declared {
  const tenantPairs = new Set<string>();
  for (const t of stack.tenants)
    for (const to of t.allow?.toTenants ?? [])
      if (stack.tenants.find((x) => x.name === to)?.allow?.fromTenants.includes(t.name)) tenantPairs.add(`${t.name}->${to}`);
  const fromIngress = new Map(stack.tenants.map((t) => [t.name, new Set((t.allow?.fromIngress ?? []).map((p) => `${p.port}/${p.protocol}`))]));
  return { tenantPairs, ingressNamespace: stack.ingressNamespace, fromIngress };
}

/** The matrices the claims and the stack's declarations imply, cell by cell (pods as `ns/name`). */
function expected(pods: ModelPod[], tenantNs: Set<string>, sameNs: 'both-ways' | 'ingress-only', d: Declared): Matrices {
  const m: Matrices = { ingress: new Map(), egress: new Map(), combined: new Map() };
  for (const from of pods) for (const to of pods) for (const p of PORTS) {
    const key = `${from.namespace}/${from.name} -> ${to.namespace}/${to.name} ${p.port}/${p.protocol}`;
    const pair = d.tenantPairs.has(`${from.namespace}->${to.namespace}`);
    const egress = !tenantNs.has(from.namespace) || (to === DNS && isDns(p)) || (to.namespace === from.namespace && sameNs === 'both-ways') || pair;
    const viaIngress = from.namespace === d.ingressNamespace && !!d.fromIngress.get(to.namespace)?.has(`${p.port}/${p.protocol}`);
    const ingress = !tenantNs.has(to.namespace) || to.namespace === from.namespace || pair || viaIngress;
    m.ingress.set(key, ingress);
    m.egress.set(key, egress);
    m.combined.set(key, ingress && egress);
  }
  return m;
}

const diff = (got: Map<string, boolean>, want: Map<string, boolean>, keep: (k: string) => boolean) =>
  [...want].filter(([k]) => keep(k)).filter(([k, v]) => got.get(k) !== v).map(([k, v]) => `${k}: cyclonus says ${got.get(k) ? 'allowed' : got.has(k) ? 'denied' : 'nothing'}, claim says ${v ? 'allowed' : 'denied'}`);

describe.each([...EXAMPLES])('stack %s', (name) => {
  it('its NetworkPolicies allow exactly what its profile claims (cyclonus)', async () => {
    const v = example(name);
    const r = renderStack(v, await testSecrets());
    const objects = [...r.tenantObjects.values()].flat();
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const claims = PROFILE_CLAIMS[v.profile.name];
    if (!claims) {
      // a profile without tenant isolation claims none; nothing to judge, and nothing may be rendered as if it did
      expect(policies).toEqual([]);
      return;
    }
    results.stack(name, v.profile.name);
    expect(strictEgress(v.profile.settings)).toBe(claims.sameNamespace === 'ingress-only');

    // Kubernetes sets kubernetes.io/metadata.name on every namespace; the rendered objects carry the rest.
    const namespaces: Record<string, Record<string, string>> = { 'kube-system': { 'kubernetes.io/metadata.name': 'kube-system' } };
    const pods: ModelPod[] = [DNS];
    objects.filter((o) => o.kind === 'Namespace').forEach((ns, i) => {
      const n = (ns.metadata as { name: string; labels?: Record<string, string> });
      namespaces[n.name] = { ...(n.labels ?? {}), 'kubernetes.io/metadata.name': n.name };
      pods.push({ namespace: n.name, name: 'a', labels: { pod: 'a' }, ip: `10.244.${i + 1}.1` }, { namespace: n.name, name: 'b', labels: { pod: 'b' }, ip: `10.244.${i + 1}.2` });
    });
    const tenantNs = new Set(Object.keys(namespaces).filter((n) => n !== 'kube-system'));
    expect(tenantNs.size).toBe(v.stack.tenants.length);
    const decl = declared(v.stack);
    // the platform's ingress controller, where the stack names its namespace
    const ingressPod: ModelPod | undefined = decl.ingressNamespace ? { namespace: decl.ingressNamespace, name: 'controller', labels: { app: 'ingress' }, ip: '10.244.200.1' } : undefined;
    if (ingressPod) {
      namespaces[ingressPod.namespace] = { 'kubernetes.io/metadata.name': ingressPod.namespace };
      pods.push(ingressPod);
    }

    const cy = new Cyclonus(policies);
    try {
      const name2 = (o: { metadata?: unknown }) => { const m = o.metadata as { namespace: string; name: string }; return `${m.namespace}/${m.name}`; };
      expect(cy.parsedPolicies().sort()).toEqual(policies.map(name2).sort());
      const got = cy.probe(namespaces, pods, PORTS);
      const want = expected(pods, tenantNs, claims.sameNamespace, decl);
      const cell = (k: string) => { const [from, , to] = k.split(' '); return { fromNs: from.split('/')[0], toNs: to.split('/')[0] }; };
      const tenantPair = (k: string) => tenantNs.has(cell(k).fromNs) && tenantNs.has(cell(k).toNs);

      await results.claim(name, 'cross-tenant traffic denied both ways, but between tenants that both declared it', [CONTROL], async () => {
        const cross = (k: string) => tenantPair(k) && cell(k).fromNs !== cell(k).toNs;
        const bad = [...diff(got.ingress, want.ingress, cross), ...diff(got.egress, want.egress, cross), ...diff(got.combined, want.combined, cross)];
        if (bad.length) throw new Error(bad.join('\n'));
        const open = [...want.combined].filter(([k, ok]) => cross(k) && ok).length;
        return `${[...want.combined.keys()].filter(cross).length - open} tenant-to-tenant connections denied, ${open} allowed (${[...decl.tenantPairs].join(', ') || 'none declared'})`;
      });
      if (ingressPod)
        await results.claim(name, "the platform's ingress controller reaches tenant pods on their declared ports only", [CONTROL], async () => {
          const fromIngress = (k: string) => cell(k).fromNs === ingressPod.namespace && tenantNs.has(cell(k).toNs);
          const bad = diff(got.combined, want.combined, fromIngress);
          if (bad.length) throw new Error(bad.join('\n'));
          return [...decl.fromIngress].filter(([, ps]) => ps.size).map(([t, ps]) => `${t}: ${[...ps].join(', ')}`).join('; ') || 'no tenant declares it: all denied';
        });
      await results.claim(name, 'tenant pods reach kube-system DNS on UDP/TCP 53, nothing else there', [CONTROL], async () => {
        const toDns = (k: string) => tenantNs.has(cell(k).fromNs) && cell(k).toNs === 'kube-system';
        const bad = diff(got.combined, want.combined, toDns);
        if (bad.length) throw new Error(bad.join('\n'));
        return 'UDP 53 and TCP 53 allowed, TCP 80 denied';
      });
      await results.claim(name, claims.sameNamespace === 'both-ways' ? 'same-namespace traffic allowed both ways' : 'same-namespace: ingress accepted, egress closed (strict egress)', [CONTROL], async () => {
        const same = (k: string) => tenantPair(k) && cell(k).fromNs === cell(k).toNs;
        const bad = [...diff(got.ingress, want.ingress, same), ...diff(got.egress, want.egress, same), ...diff(got.combined, want.combined, same)];
        if (bad.length) throw new Error(bad.join('\n'));
      });
      await results.claim(name, 'no traffic between tenant pods and the outside, either way', [CONTROL], async () => {
        const tenantPods = pods.filter((p) => tenantNs.has(p.namespace));
        const traffic = tenantPods.flatMap((pod) => [{ port: 443, protocol: 'TCP' as const }, ...PORTS].flatMap((port) =>
          (['to-outside', 'from-outside'] as const).map((direction) => ({ pod, outside: OUTSIDE, port, direction }))));
        const allowed = cy.external(traffic, namespaces);
        const bad = traffic.filter((_, i) => allowed[i]).map((t) => `${t.pod.namespace}/${t.pod.name} ${t.direction} ${t.port.port}/${t.port.protocol}: allowed`);
        if (bad.length) throw new Error(bad.join('\n'));
        // the model is not vacuous: the same query against DNS, which no policy covers, is allowed
        if (!cy.external([{ pod: DNS, outside: OUTSIDE, port: PORTS[1], direction: 'from-outside' }], namespaces)[0]) throw new Error('cyclonus denies traffic no policy covers');
        return `${traffic.length} connections with ${OUTSIDE} denied`;
      });
      const egressDecl = v.stack.tenants.flatMap((t) => (t.allow?.egress ?? []).map((e) => ({ tenant: t.name, ...e })));
      if (egressDecl.length)
        await results.claim(name, 'tenant egress outside the cluster: the declared CIDRs and ports, nothing more', [CONTROL], async () => {
          const traffic: (ExternalTraffic & { want: boolean })[] = [];
          for (const e of egressDecl) {
            const inside = e.cidr.split('/')[0]; // the network's first address: inside the CIDR
            for (const pod of pods.filter((p) => tenantNs.has(p.namespace)))
              for (const port of [...e.ports.map((p) => ({ port: p.port, protocol: p.protocol as 'TCP' | 'UDP' })), { port: 443, protocol: 'TCP' as const }]) {
                const mine = pod.namespace === e.tenant && e.ports.some((p) => p.port === port.port && p.protocol === port.protocol);
                traffic.push({ pod, outside: inside, port, direction: 'to-outside', want: mine }, { pod, outside: inside, port, direction: 'from-outside', want: false });
              }
          }
          const allowed = cy.external(traffic, namespaces);
          const bad = traffic.filter((t, i) => allowed[i] !== t.want).map((t) => `${t.pod.namespace}/${t.pod.name} ${t.direction} ${t.outside} ${t.port.port}/${t.port.protocol}: ${t.want ? 'denied' : 'allowed'}`);
          if (bad.length) throw new Error(bad.join('\n'));
          return egressDecl.map((e) => `${e.tenant} -> ${e.name} ${e.cidr} ${e.ports.map((p) => `${p.port}/${p.protocol}`).join(',')}`).join('; ');
        });
      // everything else (DNS pod to DNS pod, kube-system to tenants) as the matrix says
      const rest = diff(got.combined, want.combined, () => true);
      expect(rest).toEqual([]);
    } finally {
      cy.dispose();
    }
  });
});
