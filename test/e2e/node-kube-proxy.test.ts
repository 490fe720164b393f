/**
 * The e2e nodes' kube-proxy runs Talos's own kube-proxy DaemonSet command line (e2e/harness/node-kube-proxy.ts),
 * computed by talos-compute from each example's rendered control-plane config: Talos 1.14 (lab, saas) with
 * `--config` and Talos's KubeProxyConfiguration, Talos 1.13 (prod) with flags. No control plane needed.
 */
import { parse } from 'yaml';
import { renderStack } from '../../core/render/index';
import { kubeProxyInvocation } from '../../e2e/harness/node-kube-proxy';
import { computeControlPlane } from '../talos/talosctl';
import { example, testSecrets } from '../helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

const O = { nodeName: 'n-1', nodeIp: '198.18.0.2', kubeconfig: '/node/kube-proxy/kubeconfig', configDir: '/node/kube-proxy' };

async function talosManifests(name: string): Promise<{ line: string; manifests: Doc[] }> {
  const v = example(name);
  const cp = renderStack(v, await testSecrets()).nodes.find((n) => n.role === 'controlplane')!;
  const line = v.stack.cluster.talosVersion.replace(/^v/, '').split('.').slice(0, 2).join('.') as '1.13' | '1.14';
  return { line, manifests: computeControlPlane(line, cp.config, cp.name, O.nodeIp).manifests as Doc[] };
}

describe.each(['lab', 'prod', 'saas'])('%s: kube-proxy from Talos\'s DaemonSet', (name) => {
  test('the DaemonSet\'s flags, only the in-cluster kubeconfig, its ConfigMap files and $(NODE_NAME) resolved on the node', async () => {
    const { line, manifests } = await talosManifests(name);
    const inv = kubeProxyInvocation(manifests, O);
    expect(inv.talos[0]).toBe('/usr/local/bin/kube-proxy');
    expect(inv.args).toHaveLength(inv.talos.length - 1);
    expect(inv.args).toContain(`--hostname-override=${O.nodeName}`);
    const flags = Object.fromEntries(inv.args.map((a) => a.replace(/^--/, '').split(/=(.*)/s).slice(0, 2)));
    if (line === '1.13') {
      // flags only: Talos 1.13 passes the rendered kubeProxyArgs (cluster.proxy.extraArgs) on the command line
      expect(flags).toMatchObject({ kubeconfig: O.kubeconfig, 'proxy-mode': 'nftables', 'metrics-bind-address': '127.0.0.1:10249' });
      expect(flags.config).toBeUndefined();
      expect(inv.files).toEqual({});
    } else {
      expect(flags.config).toBe(`${O.configDir}/config.conf`);
      const cm = manifests.find((m) => m.kind === 'ConfigMap' && String(m.metadata.name).startsWith('kube-proxy-config'))!;
      const talos = parse(cm.data['config.conf']) as Doc;
      const ours = parse(inv.files[flags.config]) as Doc;
      expect(talos.clientConnection.kubeconfig).toBe('/etc/kubernetes/kubeconfig');
      expect(ours).toEqual({ ...talos, clientConnection: { ...talos.clientConnection, kubeconfig: O.kubeconfig } });
      expect(ours).toMatchObject({ mode: 'nftables', metricsBindAddress: '127.0.0.1:10249' });
    }
    // every other flag is Talos's, byte for byte
    const changed = (a: string) => /^--(kubeconfig|config|hostname-override)=/.test(a);
    expect(inv.args.filter((a) => !changed(a))).toEqual(inv.talos.slice(1).filter((a) => !changed(a)));
  }, 60_000);
});

test('no kube-proxy DaemonSet (cluster.proxy.disabled): a clear error, not a kube-proxy of the harness\'s own', () => {
  expect(() => kubeProxyInvocation([{ kind: 'ConfigMap', metadata: { name: 'coredns' } }], O)).toThrow(/no kube-proxy DaemonSet/);
});
