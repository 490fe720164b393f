/**
 * An air-gapped site (stacks/Pulumi.airgap.yaml): no rendered file names a host outside the site. The
 * only public names left are image names, whose registries the nodes reach through mirrors alone
 * (skipFallback), and the names of the registries those mirrors stand in for. Both contracts; the
 * Talos judges (test/talos, test/talos-schema.test.ts) see the stack too.
 */
import { parseAllDocuments } from 'yaml';
import { StackConfigError } from '../core/config/errors';
import type { ValidStack } from '../core/config/validate';
import { renderStack, renderedFiles } from '../core/render/index';
import { validateValues } from '../core/stack';
import { TODAY, example, exampleValues, testSecrets } from './helpers';
import { absentJudges, validate } from './talos/talosctl';

const SITE = /(^|\.)vault\.example\.com$/;
/** Public endpoints Talos or Bulwark could name by default. */
const PUBLIC = ['talos.dev', 'siderolabs', 'cloudflare', 'ntp.org', 'registry.k8s.io', 'ghcr.io', 'docker.io', 'quay.io', 'gcr.io', 'github', 'cilium.io'];
const IMAGE = /^((?:[a-z0-9-]+\.)+[a-z]{2,}(?::\d+)?)\/[a-z0-9._/-]+(?::[\w.-]+|@sha256:[0-9a-f]{64})$/;

function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => strings(x, out));
  return out;
}

/** Every reference to a host outside the site, by file. */
async function publicReferences(v: ValidStack): Promise<string[]> {
  const r = renderStack(v, await testSecrets());
  const mirrored = new Set(v.stack.registries.mirrors.filter((m) => m.skipFallback).map((m) => m.registry));
  const found: string[] = [];
  for (const f of renderedFiles(r)) {
    let text = f.content;
    if (f.path.endsWith('.yaml') || f.path === 'talosconfig' || f.path === 'kubeconfig') {
      const docs = parseAllDocuments(f.content).map((d) => d.toJS() as Record<string, unknown>);
      // an image of a registry mirrored without fallback, and the mirror's own name, send nothing outside
      for (const s of docs.flatMap((d) => strings(d))) {
        const m = IMAGE.exec(s);
        if (m && (mirrored.has(m[1]) || SITE.test(m[1].split(':')[0]))) text = text.split(s).join('<image>');
      }
      for (const d of docs) if (d?.kind === 'RegistryMirrorConfig') text = text.replace(new RegExp(`name: ${String(d.name).replace(/[.*]/g, '\\$&')}\\n`), 'name: <mirrored>\n');
    }
    for (const m of text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/([^/\s"'`,)]+)[^\s"'`,)]*/g)) {
      const host = m[1].replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
      if (!SITE.test(host) && !/^10\.|^127\.|^[0-9a-f:]+$/.test(host)) found.push(`${f.path}: URL ${m[0]}`);
    }
    // a URL of the site may carry an upstream's name in its path (a pull-through cache's /v2/ghcr.io)
    text = text.replace(/\b[a-z][a-z0-9+.-]*:\/\/([^/\s"'`,)]+)[^\s"'`,)]*/g, (url, host: string) => (SITE.test(host.replace(/:\d+$/, '')) ? '<site URL>' : url));
    for (const p of PUBLIC) if (text.includes(p)) found.push(`${f.path}: ${p} (${text.slice(Math.max(0, text.indexOf(p) - 60), text.indexOf(p) + 40).replace(/\n/g, '⏎')})`);
  }
  return found;
}

describe('air-gapped site', () => {
  it.each(['1.14', '1.13'] as const)('contract %s: no rendered file names a host outside the site', async (contract) => {
    const v = exampleValues('airgap') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    v.cluster.contract = contract;
    expect(await publicReferences(validateValues('airgap', v, { today: TODAY }))).toEqual([]);
  });

  it('the check is not vacuous: the lab stack, on public defaults, names the public factory and discovery service', async () => {
    const found = (await publicReferences(example('lab'))).join('\n');
    expect(found).toMatch(/URL https:\/\/discovery\.talos\.dev/);
    expect(found).toMatch(/boot-media\.json: URL https:\/\/factory\.talos\.dev\/image\//);
    expect(found).toMatch(/registry\.k8s\.io/); // images of registries without a mirror
  });

  it('renders the mirrors, their CA, the site\'s discovery service and NTP servers', async () => {
    const v = exampleValues('airgap') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    v.registries.ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const r = renderStack(validateValues('airgap', v, { today: TODAY }), await testSecrets());
    const docs = parseAllDocuments(r.nodes[0].config).map((d) => d.toJS());
    expect(docs.filter((d) => d.kind === 'RegistryMirrorConfig')[0]).toEqual({
      apiVersion: 'v1alpha1', kind: 'RegistryMirrorConfig', name: 'registry.k8s.io', endpoints: [{ url: 'https://cache.vault.example.com/v2/registry.k8s.io', overridePath: true }], skipFallback: true,
    });
    expect(docs.filter((d) => d.kind === 'RegistryTLSConfig')).toEqual([{ apiVersion: 'v1alpha1', kind: 'RegistryTLSConfig', name: 'cache.vault.example.com', ca: v.registries.ca }]);
    expect(docs.filter((d) => d.kind === 'DiscoveryServiceConfig')).toEqual([{ apiVersion: 'v1alpha1', kind: 'DiscoveryServiceConfig', name: 'default', endpoint: 'https://discovery.vault.example.com/' }]);
    expect(docs.find((d) => d.kind === 'TimeSyncConfig').ntp.servers).toEqual(['10.50.0.123', '10.50.0.124']);
    expect(r.nodes[0].installer).toMatch(/^factory\.vault\.example\.com\/metal-installer\//);
  });

  it('discovery can be turned off (both contracts); not where KubeSpan needs it; one mirror list per registry', async () => {
    const off = exampleValues('airgap') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    off.discovery = { enabled: false };
    const r14 = renderStack(validateValues('airgap', off, { today: TODAY }), await testSecrets());
    expect(parseAllDocuments(r14.nodes[0].config).map((d) => d.toJS().kind)).not.toContain('DiscoveryServiceConfig');
    off.cluster.contract = '1.13';
    const r13 = renderStack(validateValues('airgap', off, { today: TODAY }), await testSecrets());
    expect(parseAllDocuments(r13.nodes[0].config)[0].toJS().cluster.discovery).toEqual({ enabled: false });

    const bad = exampleValues('airgap') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    bad.discovery = { enabled: false };
    bad.cluster.kubespan = true;
    bad.registries.mirrors.push({ registry: 'ghcr.io', endpoints: ['https://other.vault.example.com'] });
    let problems: { path: string; message: string }[] = [];
    try {
      validateValues('airgap', bad, { today: TODAY });
    } catch (e) {
      problems = (e as StackConfigError).problems;
    }
    expect(problems).toEqual([
      { path: 'bulwark:discovery.enabled', message: expect.stringMatching(/is false, but bulwark:cluster\.kubespan is true, and KubeSpan finds its peers through the discovery service/) },
      { path: 'bulwark:registries.mirrors[5].registry', message: expect.stringMatching(/"ghcr\.io" already has mirrors at bulwark:registries\.mirrors\[1\]/) },
    ]);
  });

  (absentJudges.length ? it.skip : it).each(['1.13', '1.14'] as const)('talosctl %s validate --strict takes discovery off and the mirrors\' CA', async (contract) => {
    const v = exampleValues('airgap') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    v.cluster.contract = contract;
    v.cluster.talosVersion = contract === '1.13' ? 'v1.13.9' : 'v1.14.1';
    v.discovery = { enabled: false };
    v.registries.ca = Buffer.from((await testSecrets()).certs.os.crt, 'base64').toString(); // a real PEM CA (the test bundle's Talos CA)
    const r = renderStack(validateValues('airgap', v, { today: TODAY }), await testSecrets());
    for (const n of r.nodes) expect(validate(contract, n.config, 'metal', true)).toEqual({ ok: true, warnings: [], errors: [] });
  });
});
