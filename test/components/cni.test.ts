/**
 * cluster.cni under Pulumi's mock runtime (the command provider cannot run here): with cilium,
 * the program installs the pinned chart after the API server is up and before the health gate,
 * which cannot pass while nodes have no CNI; with flannel or none it installs nothing.
 */
import { CILIUM_CHART } from '../../core/render/cni';
import { ancestors, runExample } from './harness';

const RELEASE = 'kubernetes:helm.sh/v3:Release';
type Values = Record<string, unknown>;
const cilium = (v: Values) => void ((v.cluster as Values).cni = 'cilium');

describe('the CNI the program installs', () => {
  test('cilium: one release of the pinned chart, as the deployer, between the API server wait and the health gate; the Kubernetes layer after the gate', async () => {
    const run = await runExample('prod', cilium);
    expect(run.error).toBeUndefined();
    const releases = run.registrations.filter((r) => r.type === RELEASE);
    expect(releases).toHaveLength(1);
    const rel = releases[0];
    expect(rel.raw).toMatchObject({ chart: 'cilium', version: CILIUM_CHART.version, namespace: 'kube-system', repositoryOpts: { repo: CILIUM_CHART.repo } });
    const urn = (name: string) => run.byName.get(name)!.urn;
    expect(ancestors(run.registrations, rel.urn)).toContain(urn('talos-api-server-ready'));
    expect(ancestors(run.registrations, urn('talos-health'))).toContain(rel.urn);
    const layer = run.registrations.filter((r) => r.type.startsWith('kubernetes:') && r.type !== RELEASE && r.type !== 'pulumi:providers:kubernetes');
    expect(layer.length).toBeGreaterThan(0);
    for (const r of layer) expect([r.name, ancestors(run.registrations, r.urn).has(urn('talos-health'))]).toEqual([r.name, true]);
    // The release's provider holds the deployer's kubeconfig, as a secret.
    const provider = run.registrations.find((r) => r.urn === rel.provider?.split('::').slice(0, -1).join('::'))!;
    expect(JSON.stringify(provider.raw.kubeconfig)).toContain('4dabf18193072939515e22adb298388d');
  });

  test.each(['flannel', 'none'])('%s: no release, no API-server wait; the Kubernetes layer after the health gate', async (cni) => {
    const run = await runExample('prod', (v) => void ((v.cluster as Values).cni = cni));
    expect(run.error).toBeUndefined();
    expect(run.registrations.filter((r) => r.type === RELEASE)).toEqual([]);
    expect(run.byName.has('talos-api-server-ready')).toBe(false);
    expect(ancestors(run.registrations, run.byName.get('cluster-kubernetes')!.urn)).toContain(run.byName.get('talos-health')!.urn);
  });
});

describe("the deployer's rights for the CNI it installs", () => {
  const { deployerObjects, DEPLOYER_RESOURCES } = require('../../core/auth/deployer') as typeof import('../../core/auth/deployer');
  test('cilium: workloads, services and Secrets in kube-system only, by a Role; nothing of it cluster-wide; flannel: no such Role', () => {
    const withCilium = deployerObjects('c', { installsCilium: true });
    const role = withCilium.find((o) => o.kind === 'Role')!;
    expect(role.metadata.namespace).toBe('kube-system');
    const rules = role.rules as { apiGroups: string[]; resources: string[] }[];
    expect(rules.flatMap((r) => r.resources)).toEqual(expect.arrayContaining(['secrets', 'daemonsets', 'deployments', 'services']));
    expect(withCilium.find((o) => o.kind === 'RoleBinding')!.metadata.namespace).toBe('kube-system');
    expect(DEPLOYER_RESOURCES['']).not.toContain('secrets');
    expect(deployerObjects('c').filter((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toEqual([]);
  });
});
