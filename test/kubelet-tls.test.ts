/**
 * Issue 11, item 13: Bulwark never weakens a Talos default. Talos's kubelet accepts TLS 1.3 only;
 * Bulwark used to render tlsMinVersion VersionTLS12 (and a cipher list that Talos 1.13 merges
 * into its own, so it narrowed nothing). The claim is what is effective: TLS 1.3 only.
 */
import { parseAllDocuments } from 'yaml';
import { renderStack } from '../core/render/index';
import { kubeletDefaults } from '../core/talos/defaults';
import { EXAMPLES, cisChecks, example, testSecrets } from './helpers';

type Doc = Record<string, any>;

function kubeletExtraConfig(config: string): Record<string, unknown> {
  const docs = parseAllDocuments(config).map((d) => d.toJS() as Doc);
  const multi = docs.find((d) => d.kind === 'KubeletConfig');
  if (multi) return multi.config ?? {};
  return docs.find((d) => d.version === 'v1alpha1')?.machine?.kubelet?.extraConfig ?? {};
}

describe.each(EXAMPLES)('%s', (name) => {
  test('no node lowers the kubelet TLS minimum below Talos\'s, or sets a cipher list that has no effect', async () => {
    const r = renderStack(example(name), await testSecrets(), { cis: cisChecks() });
    expect(kubeletDefaults(false).config.tlsMinVersion).toBe('VersionTLS13');
    for (const n of r.nodes) {
      const extra = kubeletExtraConfig(n.config);
      expect([n.name, extra.tlsMinVersion, extra.tlsCipherSuites]).toEqual([n.name, undefined, undefined]);
    }
    const tls = r.posture.controls.find((c) => c.id === 'k8s.kubelet.tls')!;
    expect(tls.title).toContain('TLS 1.3 only');
    expect(tls.evidence).toEqual(['enforced by Talos: kubelet tlsMinVersion=VersionTLS13']);
    // CIS 4.2.12 asks for a strong cipher list; with TLS 1.3 only there is none to set, and the report says why.
    const cis = r.posture.cis.results.find((c) => c.id === '4.2.12')!;
    expect([cis.verdict, cis.reason]).toEqual(['pass-by-evidence', expect.stringContaining('TLS 1.3 only')]);
  });
});
