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
    // The kubeconfig no longer waits for health (health waits for the CNI, which needs the API server).
    expect(ancestors(run.registrations, urn('talos-kubeconfig'))).not.toContain(urn('talos-health'));
    const layer = run.registrations.filter((r) => r.type.startsWith('kubernetes:') && r.type !== RELEASE && r.type !== 'pulumi:providers:kubernetes');
    expect(layer.length).toBeGreaterThan(0);
    for (const r of layer) expect([r.name, ancestors(run.registrations, r.urn).has(urn('talos-health'))]).toEqual([r.name, true]);
    // The release's provider holds the deployer's kubeconfig, as a secret.
    const provider = run.registrations.find((r) => r.urn === rel.provider?.split('::').slice(0, -1).join('::'))!;
    expect(JSON.stringify(provider.raw.kubeconfig)).toContain('4dabf18193072939515e22adb298388d');
  });

  test.each(['flannel', 'none'])('%s: no release, no API-server wait; the kubeconfig comes after the health gate as before', async (cni) => {
    const run = await runExample('prod', (v) => void ((v.cluster as Values).cni = cni));
    expect(run.error).toBeUndefined();
    expect(run.registrations.filter((r) => r.type === RELEASE)).toEqual([]);
    expect(run.byName.has('talos-api-server-ready')).toBe(false);
    expect(ancestors(run.registrations, run.byName.get('talos-kubeconfig')!.urn)).toContain(run.byName.get('talos-health')!.urn);
  });
});
