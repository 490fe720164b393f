/**
 * The rule of the posture model (issue 11): a control is "enforced" only when the whole chain
 * that makes it effective is configured. NetworkPolicy needs a CNI that enforces it; existing-
 * cluster mode configures neither nodes nor control plane. Statuses reach the report, its
 * counts, the policy pack and the posture diff from one place (core/controls/resolve.ts).
 */
import { parseAllDocuments } from 'yaml';
import { renderStack } from '../core/render/index';
import { postureMarkdown } from '../core/posture/report';
import { diffStack } from '../core/posture/diff';
import { CILIUM_CHART, cniRelease } from '../core/render/cni';
import { nodeSideParts } from '../core/controls/resolve';
import { CATALOGUE } from '../core/controls/catalogue';
import { stackFacts } from '../policy/facts';
import { checkNoUnmetDependencies, checkNotApplied } from '../policy/rules';
import { validateValues } from '../core/stack';
import { EXAMPLES, TODAY, cisChecks, exampleValues, testSecrets } from './helpers';

type Values = Record<string, unknown>;
const DEFAULT_DENY = 'tenancy.network.default-deny';

const withCluster = (name: string, patch: Values, extra: Values = {}): Values => {
  const v = exampleValues(name);
  return { ...v, cluster: { ...(v.cluster as Values), ...patch }, ...extra };
};
const valid = (values: Values, name = 'chain') => validateValues(name, values, { today: TODAY });
const render = async (values: Values, name = 'chain') => renderStack(valid(values, name), await testSecrets(), { cis: cisChecks() });
const docsOf = (config: string) => parseAllDocuments(config).map((d) => d.toJS() as Values);

/** The contract-1.13 and contract-1.14 variant of a stack. */
const CONTRACTS: Values[] = [
  { talosVersion: 'v1.13.9', contract: '1.13' },
  { talosVersion: 'v1.14.1', contract: '1.14' },
];

/** What reaches Talos: does the control plane's config deploy a CNI, and does that CNI enforce NetworkPolicy? */
function talosCniOf(config: string): { deploysFlannel: boolean; kubeNetworkPolicies: boolean } {
  const docs = docsOf(config);
  const legacy = docs.find((d) => d.version === 'v1alpha1') as { cluster?: { network?: { cni?: { name?: string; flannel?: { kubeNetworkPoliciesEnabled?: boolean } } } } } | undefined;
  const flannelDoc = docs.find((d) => d.kind === 'KubeFlannelCNIConfig');
  if (flannelDoc) return { deploysFlannel: true, kubeNetworkPolicies: flannelDoc.kubeNetworkPoliciesEnabled === true };
  const cni = legacy?.cluster?.network?.cni;
  if (docs.some((d) => typeof d.kind === 'string' && d.kind.startsWith('Kube'))) return { deploysFlannel: false, kubeNetworkPolicies: false }; // 1.14: no document, no CNI
  // 1.13: no cni block means Talos's default, flannel without kube-network-policies.
  return { deploysFlannel: !cni || cni.name === 'flannel', kubeNetworkPolicies: cni?.flannel?.kubeNetworkPoliciesEnabled === true };
}

describe.each(EXAMPLES)('NetworkPolicy is enforced where %s claims it', (name) => {
  test.each(CONTRACTS)('contract %o: default-deny "enforced" ⇒ the CNI Talos deploys enforces NetworkPolicy', async (contract) => {
    // The hostile profile encrypts ConfigMaps, which contract 1.13 cannot express: refused before anything renders.
    if (name === 'saas' && contract.contract === '1.13') return expect(() => valid(withCluster(name, contract), name)).toThrow(/bulwark:cluster\.contract: is 1\.13/);
    const r = await render(withCluster(name, contract), name);
    const claim = r.posture.controls.find((c) => c.id === DEFAULT_DENY)!;
    const cp = r.nodes.find((n) => n.role === 'controlplane')!;
    const cni = talosCniOf(cp.config);
    if (claim.status === 'enforced') expect(cni).toEqual({ deploysFlannel: true, kubeNetworkPolicies: true });
    // And flannel is told to run kube-network-policies only where a control needs it.
    else expect(cni.kubeNetworkPolicies).toBe(false);
  });
});

describe('cluster.cni', () => {
  test.each(CONTRACTS)('cilium (%o): Talos deploys no CNI, the program installs the pinned chart with Talos\'s values, the claim names it', async (contract) => {
    const values = withCluster('prod', { ...contract, cni: 'cilium' });
    const r = await render(values);
    for (const n of r.nodes.filter((x) => x.role === 'controlplane')) expect(talosCniOf(n.config)).toEqual({ deploysFlannel: false, kubeNetworkPolicies: false });
    const legacy = docsOf(r.nodes[0].config).find((d) => d.version === 'v1alpha1') as { cluster: { network: Values } };
    if (contract.contract === '1.13') expect(legacy.cluster.network.cni).toEqual({ name: 'none' });
    const release = cniRelease(valid(values).stack)!;
    expect(release.chart).toEqual(CILIUM_CHART);
    expect(release.chart.version).toMatch(/^\d+\.\d+\.\d+$/);
    // Talos's "Deploying Cilium CNI": IPAM from Kubernetes, Talos's cgroup v2 mount, no SYS_MODULE, KubePrism.
    expect(release.values).toMatchObject({ ipam: { mode: 'kubernetes' }, cgroup: { autoMount: { enabled: false }, hostRoot: '/sys/fs/cgroup' }, k8sServicePort: 7445 });
    const caps = (release.values.securityContext as { capabilities: { ciliumAgent: string[] } }).capabilities.ciliumAgent;
    expect(caps).not.toContain('SYS_MODULE');
    const claim = r.posture.controls.find((c) => c.id === DEFAULT_DENY)!;
    expect(claim.status).toBe('enforced');
    expect(claim.dependencies).toEqual([{ what: 'a CNI that enforces NetworkPolicy', met: true, detail: expect.stringContaining(`Cilium ${CILIUM_CHART.version}`) }]);
  });

  test('none without a stated enforcer: every NetworkPolicy control says what it depends on and is not counted enforced', async () => {
    const flannel = await render(withCluster('prod', {}));
    const none = await render(withCluster('prod', { cni: 'none' }));
    const claim = none.posture.controls.find((c) => c.id === DEFAULT_DENY)!;
    expect(claim.status).toBe('depends');
    expect(claim.reason).toContain('a CNI that enforces NetworkPolicy');
    expect(none.posture.summary.enforced).toBe(flannel.posture.summary.enforced - 1);
    expect(none.posture.summary.depends).toBe(1);
    expect(postureMarkdown(none.posture)).toMatch(/## Configured or required, but not enforced\n\n- `tenancy\.network\.default-deny` — depends on a CNI that enforces NetworkPolicy/);
    expect(cniRelease(valid(withCluster('prod', { cni: 'none' })).stack)).toBeUndefined();
  });

  test('none with the stack stating its enforcer: enforced, and the report says it is the stack\'s statement', async () => {
    const r = await render(withCluster('prod', { cni: 'none', networkPolicyEnforcer: 'calico v3.30' }));
    const claim = r.posture.controls.find((c) => c.id === DEFAULT_DENY)!;
    expect(claim.status).toBe('enforced');
    expect(claim.dependencies![0].detail).toBe('cni: none; the stack states calico v3.30 enforces it (not installed or checked by Bulwark)');
  });

  test('an enforcer stated beside a CNI Bulwark installs is rejected with its key path', () => {
    expect(() => valid(withCluster('prod', { cni: 'flannel', networkPolicyEnforcer: 'calico' }))).toThrow(/bulwark:cluster\.networkPolicyEnforcer: is set, but cluster\.cni is flannel/);
  });

  test('the posture diff calls flannel → none weaker, and the policy pack refuses it in production', async () => {
    const a = await render(withCluster('prod', {}));
    const b = await render(withCluster('prod', { cni: 'none' }));
    const s = diffStack('prod', { state: 'ok', posture: a.posture }, { state: 'ok', posture: b.posture });
    expect(s.verdict).toBe('weaker');
    expect(s.controls).toEqual([expect.objectContaining({ control: DEFAULT_DENY, from: 'enforced', to: 'depends', change: 'no-longer-enforced' })]);
    const facts = stackFacts(withCluster('prod', { cni: 'none' }));
    expect(checkNoUnmetDependencies(facts.environment, facts.controls)).toEqual([
      { message: expect.stringMatching(/^tenancy\.network\.default-deny is required by the profile but not enforced: depends on a CNI that enforces NetworkPolicy/) },
    ]);
    expect(checkNoUnmetDependencies('development', facts.controls)).toEqual([]);
    expect(checkNoUnmetDependencies(stackFacts(exampleValues('prod')).environment, stackFacts(exampleValues('prod')).controls)).toEqual([]);
  });
});

describe('existing-cluster mode claims only what it applies', () => {
  const existing = (name: string): Values => {
    const v = exampleValues(name);
    delete v.nodes;
    return { ...v, existingCluster: { kubeconfig: 'apiVersion: v1\nkind: Config\n' } };
  };

  test.each(['prod', 'saas'])('%s: every control needing nodes or the control plane is not-applied, everywhere the statuses go', async (name) => {
    const r = await render(existing(name), name);
    const byId = new Map(CATALOGUE.map((c) => [c.id, c]));
    const enforced = r.posture.controls.filter((c) => c.status === 'enforced');
    for (const c of enforced) {
      const control = byId.get(c.id)!;
      expect([c.id, nodeSideParts(r.plan.contributions.get(c.id)!)]).toEqual([c.id, []]);
      expect(control.layer === 'os' || control.layer === 'runtime').toBe(false);
    }
    const notApplied = r.posture.controls.filter((c) => c.status === 'not-applied').map((c) => c.id);
    for (const id of ['k8s.etcd.encryption-at-rest', 'k8s.audit.policy', 'k8s.kubelet.authn-authz', 'auth.oidc.structured-authentication']) {
      if (r.posture.controls.some((c) => c.id === id)) expect(notApplied).toContain(id);
    }
    expect(r.posture.summary.notApplied).toBe(notApplied.length);
    expect(r.posture.summary.enforced).toBe(enforced.length);
    expect(r.posture.mode).toBe('existing-cluster');
    // No CIS result for flags Bulwark does not set.
    expect(r.posture.cis.evaluated).toBe(false);
    expect(r.posture.cis.reason).toMatch(/existing-cluster mode/);
    // The existing cluster's CNI is not Bulwark's: NetworkPolicy waits for the stack's word.
    expect(r.posture.controls.find((c) => c.id === DEFAULT_DENY)!.status).toBe('depends');
    // The policy pack states the gap.
    const facts = stackFacts(existing(name));
    expect(checkNotApplied(facts.controls)[0].message).toContain(`${notApplied.length} required control(s) are not applied`);
  });
});

test('the NetworkPolicy claim says what judged it and what did not', async () => {
  const r = await render(withCluster('prod', {}));
  const notes = r.posture.controls.find((c) => c.id === DEFAULT_DENY)!.notes.join(' ');
  expect(notes).toMatch(/Judged here: the policies' semantics \(cyclonus/);
  expect(notes).toMatch(/Not judged here: enforcement on the wire/);
});
