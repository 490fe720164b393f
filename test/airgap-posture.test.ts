/**
 * The air-gapped site's posture files as `bulwark render` writes them, with the CIS table (kube-bench's
 * definitions found): they name no host outside the site. test/airgap.test.ts checks every rendered file without
 * the CIS table, which quotes the checked component flags and kube-bench's texts.
 */
import { postureFiles } from '../core/posture/formats';
import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import { TODAY, cisChecks, exampleValues, testSecrets } from './helpers';

const SITE = /(^|\.)vault\.example\.com$/;
const PUBLIC = ['talos.dev', 'siderolabs', 'cloudflare', 'ntp.org', 'registry.k8s.io', 'ghcr.io', 'docker.io', 'quay.io', 'gcr.io', 'github', 'cilium.io'];

/** Every URL to a host outside the site, and every public name, in a text. */
function outside(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/([^/\s"'`,)<]+)/g)) {
    const host = m[1].replace(/:\d+$/, '');
    if (!SITE.test(host) && !/^10\.|^127\./.test(host)) found.push(m[0]);
  }
  return [...found, ...PUBLIC.filter((p) => text.includes(p))];
}

it('the check is not vacuous', () => {
  expect(outside('see https://factory.talos.dev/image/x and https://cache.vault.example.com/v2 on 10.50.0.1')).toEqual(['https://factory.talos.dev', 'talos.dev']);
});

it.each(['1.14', '1.13'] as const)('contract %s: the posture files with the CIS table name no host outside the site', async (contract) => {
  const v = exampleValues('airgap') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  v.cluster.contract = contract;
  const r = renderStack(validateValues('airgap', v, { today: TODAY }), await testSecrets(), { cis: cisChecks() });
  const files = postureFiles(r.posture);
  expect(files.find((f) => f.path === 'posture.md')!.content).toMatch(/\| 1\.2\.15 \| pass \|/);
  expect(files.flatMap((f) => outside(f.content).map((x) => `${f.path}: ${x}`))).toEqual([]);
});
