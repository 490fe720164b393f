/**
 * Talos's own 1.14 default (`talosctl gen config`: KubeEtcdEncryptionConfig with secretbox only for Secrets)
 * is not weakened: no plaintext (`identity`) reader for Secrets. Resources a profile adds keep it for
 * objects written before (docs/encryption-at-rest.md).
 */
import { parseAllDocuments } from 'yaml';
import { renderStack } from '../../core/render/index';
import { example, testSecrets } from '../helpers';

it.each(['lab', 'saas'])('%s: Secrets are read with secretbox only; only resources added by the profile fall back to identity', async (name) => {
  const r = renderStack(example(name), await testSecrets());
  const cp = r.nodes.find((n) => n.role === 'controlplane')!;
  const enc = parseAllDocuments(cp.config).map((d) => d.toJS()).find((d) => d.kind === 'KubeEtcdEncryptionConfig');
  const entries = enc.config.resources as Array<{ resources: string[]; providers: Record<string, unknown>[] }>;
  const secrets = entries.filter((e) => e.resources.includes('secrets'));
  expect(secrets).toHaveLength(1);
  expect(secrets[0].providers.map((p) => Object.keys(p)[0])).toEqual(['secretbox']);
  for (const e of entries.filter((x) => !x.resources.includes('secrets'))) expect(e.providers.map((p) => Object.keys(p)[0])).toEqual(['secretbox', 'identity']);
  expect(entries.flatMap((e) => e.resources).sort()).toEqual(name === 'saas' ? ['configmaps', 'secrets'] : ['secrets']);
});
