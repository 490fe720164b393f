/**
 * Cluster secrets: generated once by a self-contained dynamic provider, kept in state as a
 * secret, never rotated by an update, and never visible in a plain input or output.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { PLACEHOLDER_SECRETS } from '../../core/ops/placeholder';
import { renderStack } from '../../core/render/index';
import { quarterlyAdminClient, withQuarterlyAdminClient } from '../../core/secrets/admin-client';
import { checkSecrets, fromB64, SecretsBundle } from '../../core/secrets/bundle';
import { REPO_ROOT } from '../../core/stack';
import { deployerClient } from '../../core/secrets/deployer-client';
import { rebootDigest } from '../../core/talos/reboot';
import { secretsProvider } from '../../components/secrets';
import { EXAMPLES, TODAY, example, testSecrets } from '../helpers';
import { Run, isSecretValue, runExample } from './harness';

/** Every private value of a bundle, in every form it could leak in (base64 and decoded, each key line). */
function privateMaterial(b: SecretsBundle): string[] {
  const out = [b.cluster.id, b.cluster.secret, b.secrets.bootstraptoken, b.secrets.secretboxencryptionsecret, b.trustdinfo.token];
  const keys = [b.certs.etcd.key, b.certs.k8s.key, b.certs.k8saggregator.key, b.certs.k8sserviceaccount.key, b.certs.os.key, b.clients.talosAdmin.key];
  // a CA rotation's new CA (test/components/ca-rotation.test.ts runs the program mid-rotation)
  for (const r of Object.values(b.caRotation ?? {})) if ('next' in r) keys.push(r.next.key);
  for (const k of keys) {
    out.push(k);
    for (const line of fromB64(k).split('\n')) if (line.length >= 40 && !line.startsWith('-----')) out.push(line);
  }
  return out;
}

/** Plain (non-secret) string leaves of a raw input tree. */
function plainStrings(v: unknown, out: string[] = []): string[] {
  if (isSecretValue(v)) return out;
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) for (const x of v) plainStrings(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) plainStrings(x, out);
  return out;
}

const runs = new Map<string, Run>();
beforeAll(async () => {
  for (const name of EXAMPLES) runs.set(name, await runExample(name, (v) => (v.operations = { ...(v.operations as object), resetOnDestroy: true })));
});

describe('the secrets resource', () => {
  test('one dynamic resource with a fixed type and name, its bundle output marked secret', () => {
    for (const run of runs.values()) {
      // (the other dynamic resources are the Image Factory registrations, components/factory.ts)
      const res = run.registrations.filter((r) => r.type.startsWith('pulumi-nodejs:dynamic') && r.type !== 'pulumi-nodejs:dynamic/bulwark:FactorySchematic');
      expect(res.map((r) => [r.type, r.name])).toEqual([['pulumi-nodejs:dynamic/bulwark:ClusterSecretsBundle', 'cluster-secrets-bundle']]);
      expect(res[0].additionalSecretOutputs).toEqual(['bundle']);
      expect(res[0].urn).toMatch(/::bulwark:talos:ClusterSecrets\$pulumi-nodejs:dynamic\/bulwark:ClusterSecretsBundle::cluster-secrets-bundle$/);
    }
  });

  test('an update never rotates them: whatever else changed, the provider reports no change unless bulwark:caRotation names a next phase', async () => {
    const bundle = await testSecrets();
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), fc.dictionary(fc.string(), fc.jsonValue()), async (olds, news) => {
        const d = await secretsProvider.diff!('cluster-secrets', { ...olds, bundle } as never, { ...news, caRotation: undefined } as never);
        expect(d.changes).toBe(false);
        expect(d.replaces ?? []).toEqual([]);
      }),
      { numRuns: 50 },
    );
  });

  test('bulwark:caRotation: each phase is an update in place (never a replacement), out of order it fails naming the key', async () => {
    let bundle = await testSecrets();
    const diff = (caRotation: unknown) => secretsProvider.diff!('cluster-secrets', { bundle } as never, { caRotation } as never);
    const step = async (caRotation: unknown) => {
      expect(await diff(caRotation)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
      const { outs } = await secretsProvider.update!('cluster-secrets', { bundle } as never, { caRotation } as never);
      expect(Object.keys(outs)).toEqual(['bundle']);
      expect(checkSecrets(outs.bundle).problems).toEqual([]);
      bundle = outs.bundle;
      expect((await diff(caRotation)).changes).toBe(false);
    };
    const before = bundle;
    await step({ kubernetes: 'accept' });
    expect(bundle.certs.k8s.key).toBe(before.certs.k8s.key);
    expect(bundle.caRotation?.k8s?.phase).toBe('accept');
    await expect(diff({ kubernetes: 'drop' })).rejects.toThrow('bulwark:caRotation.kubernetes is "drop", but the Kubernetes CA is in phase "accept": the next phase is "switch"');
    await expect(diff({})).rejects.toThrow(/bulwark:caRotation.kubernetes is not set, but the Kubernetes CA is in phase "accept"/);
    await step({ kubernetes: 'switch', talos: 'accept' });
    expect([bundle.caRotation?.k8s?.phase, bundle.caRotation?.os?.phase]).toEqual(['switch', 'accept']);
    await step({ kubernetes: 'drop', talos: 'switch' });
    await step({ talos: 'drop' });
    expect(bundle.caRotation).toBeUndefined();
    expect(bundle.certs.k8s.key).not.toBe(before.certs.k8s.key);
    expect(bundle.certs.os.key).not.toBe(before.certs.os.key);
    expect([bundle.cluster, bundle.secrets, bundle.certs.etcd]).toEqual([before.cluster, before.secrets, before.certs.etcd]);
    expect((await diff(undefined)).changes).toBe(false);
  });

  test('the serialized provider is self-contained: loaded alone, as Pulumi\'s dynamic-provider host does, it generates a valid bundle and rotates a CA', () => {
    const serialized = (runs.get('lab')!.byName.get('cluster-secrets-bundle')!.raw.__provider as string) ?? '';
    expect(serialized).toContain('exports.handler');
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-provider-'));
    writeFileSync(join(dir, 'provider.js'), serialized);
    // A fresh node, no ts-node preloaded, loading the text with require-from-string from the project directory.
    const host = `
      const requireFromString = require('require-from-string');
      const src = require('fs').readFileSync(${JSON.stringify(join(dir, 'provider.js'))}, 'utf8');
      const provider = requireFromString(src).handler();
      provider.create({})
        .then(async (r) => {
          const next = await provider.update(r.id, r.outs, { caRotation: { kubernetes: 'accept' } });
          process.stdout.write(JSON.stringify({ ...r, rotated: next.outs.bundle.caRotation.k8s.phase }));
        })
        .catch((e) => { console.error(e); process.exit(1); });`;
    const r = spawnSync(process.execPath, ['-e', host], { cwd: REPO_ROOT, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { id, outs, rotated } = JSON.parse(r.stdout) as { id: string; outs: { bundle: unknown }; rotated: string };
    expect(id).toBe('cluster-secrets');
    expect(rotated).toBe('accept'); // update loads the rotation code alone too
    const checked = checkSecrets(outs.bundle);
    expect(checked.problems).toEqual([]);
  }, 120_000);
});

describe.each(EXAMPLES)('secrets stay secret in %s', (name) => {
  const run = () => runs.get(name)!;

  test('every command that carries a talosconfig or a machine configuration gets it as secret stdin', () => {
    for (const r of run().registrations.filter((x) => x.type === 'command:local:Command'))
      if (r.raw.stdin !== undefined) expect(isSecretValue(r.raw.stdin)).toBe(true);
    for (const r of run().registrations.filter((x) => /-(apply|config)$/.test(x.name))) {
      expect(r.raw.logging).toBe('none');
      expect(r.additionalSecretOutputs.sort()).toEqual(['stderr', 'stdout']);
    }
  });

  test('no private key, token or cluster secret appears in any plain input or plain stack output', async () => {
    const b = await testSecrets();
    // the admin client the program actually uses is this quarter's (core/secrets/admin-client.ts)
    const material = [...privateMaterial(b), ...privateMaterial(await withQuarterlyAdminClient(b, new Date(`${TODAY}T00:00:00Z`)))];
    // and the deployer's key, which only the Kubernetes provider's (secret) kubeconfig holds
    const deployer = await deployerClient(b, new Date(`${TODAY}T00:00:00Z`));
    material.push(Buffer.from(deployer.key).toString('base64'), ...deployer.key.split('\n').filter((l) => l.length >= 40 && !l.startsWith('-----')));
    const plain = [...run().registrations.flatMap((r) => plainStrings(r.raw)), ...plainStrings(run().stackOutputs)];
    expect(plain.length).toBeGreaterThan(100);
    for (const s of plain) for (const m of material) if (s.includes(m)) throw new Error(`secret material in a plain value: ${s.slice(0, 80)}…`);
  });

  test('each node\'s commands hold a talosconfig for that node, through its health endpoint, with this quarter\'s admin certificate', async () => {
    const valid = example(name);
    const firstCp = valid.stack.nodes.find((n) => n.role === 'controlplane')!;
    const b = await testSecrets();
    const admin = await quarterlyAdminClient(b, new Date(`${TODAY}T00:00:00Z`));
    expect(admin.crt).not.toBe(b.clients.talosAdmin.crt);
    for (const n of valid.stack.nodes) {
      const stdin = (run().byName.get(`${n.name}-rollout`)!.raw.stdin as { value: string }).value;
      const tc = parse(Buffer.from(stdin.split('\n')[0], 'base64').toString('utf8')) as { contexts: Record<string, { endpoints: string[]; nodes: string[]; crt: string; key: string }> };
      const ctx = tc.contexts[valid.stack.cluster.name];
      expect(ctx.nodes).toEqual([n.address]);
      expect(ctx.endpoints).toEqual([n.role === 'controlplane' ? n.address : firstCp.address]);
      expect([ctx.crt, ctx.key]).toEqual([admin.crt, admin.key]);
    }
    // the talosconfig output too; the stack exports no break-glass kubeconfig (npm run break-glass mints one)
    const out = run().stackOutputs as Record<string, { value: string }>;
    expect(out.talosconfig.value).toContain(admin.crt);
    expect(out.breakGlassKubeconfig).toBeUndefined();
  });
});

describe('rendering with placeholder secrets is exact for everything the program takes from it', () => {
  test.each(EXAMPLES)('%s: nodes, installers, reboot digests, Kubernetes objects and posture match the real render', async (name) => {
    const valid = example(name);
    const real = renderStack(valid, await testSecrets());
    const placeholder = renderStack(valid, PLACEHOLDER_SECRETS);
    const line = valid.stack.cluster.talosVersion.startsWith('v1.13') ? '1.13' : '1.14';
    expect(placeholder.nodes.map((n) => [n.name, n.role, n.address, n.installer, n.schematicId])).toEqual(real.nodes.map((n) => [n.name, n.role, n.address, n.installer, n.schematicId]));
    expect(placeholder.nodes.map((n) => rebootDigest(n.config, line))).toEqual(real.nodes.map((n) => rebootDigest(n.config, line)));
    expect(placeholder.objects).toEqual(real.objects);
    expect(placeholder.tenantObjects).toEqual(real.tenantObjects);
    expect(placeholder.posture).toEqual(real.posture);
  });

  test('also for a Talos 1.13 stack with control-plane files (reboot digests differ per role, not per secret)', async () => {
    const valid = example('prod');
    const other = await testSecrets();
    const digests = renderStack(valid, other).nodes.map((n) => rebootDigest(n.config, '1.13'));
    expect(new Set(digests.slice(0, 3)).size).toBe(1);
    expect(digests[0]).not.toBe(digests[3]);
  });
});
