/**
 * Talos defaults that `talosctl gen config` writes and Bulwark keeps (the peer test, gen-config-peer.test.ts,
 * judges them against talosctl itself when the toolchain is built; these hold without it).
 */
import { parseAllDocuments } from 'yaml';
import { renderStack } from '../../core/render/index';
import { example, testSecrets } from '../helpers';

const docsOf = async (name: string, role: string) => {
  const r = renderStack(example(name), await testSecrets());
  return parseAllDocuments(r.nodes.find((n) => n.role === role)!.config).map((d) => d.toJS());
};

it.each(['lab', 'edge-store'])('%s (1.14): /var (EPHEMERAL) is mounted nosuid,nodev and trimmed weekly, as Talos generates it', async (name) => {
  for (const role of ['controlplane', 'worker']) {
    const docs = await docsOf(name, role).catch(() => undefined);
    if (!docs) continue;
    const eph = docs.filter((d) => d.kind === 'VolumeConfig' && d.name === 'EPHEMERAL');
    expect(eph).toHaveLength(1);
    expect(eph[0].mount).toEqual({ secure: true });
    expect(docs.find((d) => d.kind === 'FilesystemTrimConfig')).toEqual({ apiVersion: 'v1alpha1', kind: 'FilesystemTrimConfig', interval: '168h0m0s' });
  }
});

it('edge-store (disk encryption): the EPHEMERAL encryption document carries the secure mount too', async () => {
  const eph = (await docsOf('edge-store', 'controlplane')).find((d) => d.kind === 'VolumeConfig' && d.name === 'EPHEMERAL');
  expect(eph.encryption.provider).toBe('luks2');
  expect(eph.mount).toEqual({ secure: true });
});

it('prod (1.13): control planes carry node.kubernetes.io/exclude-from-external-load-balancers, workers do not', async () => {
  expect((await docsOf('prod', 'controlplane'))[0].machine.nodeLabels).toHaveProperty(['node.kubernetes.io/exclude-from-external-load-balancers'], '');
  expect((await docsOf('prod', 'worker'))[0].machine.nodeLabels ?? {}).not.toHaveProperty(['node.kubernetes.io/exclude-from-external-load-balancers']);
});

it('prod (1.13): GRUB installs boot with the UKI command line, so the schematic\'s kernel arguments reach the kernel', async () => {
  for (const role of ['controlplane', 'worker']) expect((await docsOf('prod', role))[0].machine.install.grubUseUKICmdline).toBe(true);
});
