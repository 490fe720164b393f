/**
 * The configuration preview each node's component carries (core/ops/config-preview.ts): the
 * setting a change touches is named on its own line, and no secret — nor anything derived from
 * one — is in it. Independence from the bundle is the proof: the preview rendered with the real
 * bundle is byte for byte the one rendered with the placeholder, which never saw a secret.
 */
import { parse } from 'yaml';
import { PLACEHOLDER_SECRETS } from '../core/ops/placeholder';
import { PREVIEW_HEADER } from '../core/ops/config-preview';
import { renderStack } from '../core/render/index';
import type { SecretsBundle } from '../core/secrets/bundle';
import { validateValues } from '../core/stack';
import { EXAMPLES, TODAY, exampleValues, testSecrets } from './helpers';
import { isSecretValue, runExample } from './components/harness';

/** Every string of the bundle and, for a PEM inside base64, each long line of it. */
function secretStrings(b: SecretsBundle): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      out.push(v);
      const decoded = Buffer.from(v, 'base64').toString('utf8');
      if (/-----BEGIN/.test(decoded)) out.push(...decoded.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----')));
    } else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(b);
  return out.filter((s) => s.length >= 16);
}

type Values = Record<string, unknown>;
const previews = (values: Values, name: string, secrets: SecretsBundle) =>
  renderStack(validateValues(name, values, { today: TODAY }), secrets, { configPreview: true }).nodes.map((n) => n.configPreview!);

/** Lines only in a (-) and only in b (+), as Pulumi's line diff shows them. */
function changedLines(a: string, b: string): string[] {
  const [x, y] = [a.split('\n'), b.split('\n')];
  return [...x.filter((l) => !y.includes(l)).map((l) => `- ${l}`), ...y.filter((l) => !x.includes(l)).map((l) => `+ ${l}`)];
}

const waive = (control: string) => (v: Values) => {
  v.waivers = [...((v.waivers as Values[]) ?? []), { control, reason: 'a reviewer must see this in the preview', expires: '2027-01-31' }];
};
const changed = (name: string, change: (v: Values) => void) => {
  const after = exampleValues(name);
  change(after);
  return [previews(exampleValues(name), name, PLACEHOLDER_SECRETS), previews(after, name, PLACEHOLDER_SECRETS)];
};

describe.each(EXAMPLES)('%s: every node\'s configuration preview', (name) => {
  test('is the same whatever the bundle, carries no secret, and is neither YAML nor JSON (so Pulumi line-diffs it)', async () => {
    const real = await testSecrets();
    const withReal = previews(exampleValues(name), name, real);
    expect(withReal).toEqual(previews(exampleValues(name), name, PLACEHOLDER_SECRETS));
    const leaks = secretStrings(real);
    expect(leaks.length).toBeGreaterThan(10);
    for (const p of withReal) {
      expect(p.startsWith(`${PREVIEW_HEADER}\n`)).toBe(true);
      for (const s of leaks) expect(p.includes(s)).toBe(false);
      expect(p).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE|aaaaaa\.aaaaaaaaaaaaaaaa|placeholder/);
      expect(p).toContain('= "[redacted]"');
      expect(() => parse(p)).toThrow();
      expect(() => JSON.parse(p)).toThrow();
    }
  });
});

describe('a change names the changed setting', () => {
  test('waiving the kernel sysctls (Talos 1.14, SysctlConfig): exactly those sysctl lines go', () => {
    const [before, after] = changed('lab', waive('os.kernel.kspp-sysctls'));
    expect(changedLines(before[0], after[0])).toEqual(['- SysctlConfig.params["kernel.kexec_load_disabled"] = "1"', '- SysctlConfig.params["kernel.sysrq"] = "0"']);
  });

  test('waiving profiling-off (Talos 1.13): the API server flag, on the control planes only', () => {
    const [before, after] = changed('prod', waive('k8s.apiserver.profiling-off'));
    expect(changedLines(before[0], after[0])).toEqual(['- v1alpha1.cluster.apiServer.extraArgs.profiling = "false"']);
    const workers = before.map((p, i) => [p, after[i]]).filter(([p]) => p.includes('machine.type = "worker"'));
    expect(workers.length).toBe(3);
    for (const [p, q] of workers) expect(p).toBe(q);
  });

  test('an admission plugin: its line of the plugin list changes', () => {
    const [before, after] = changed('prod', waive('k8s.apiserver.always-pull-images'));
    expect(changedLines(before[0], after[0])).toEqual([
      '- v1alpha1.cluster.apiServer.extraArgs.enable-admission-plugins = "AlwaysPullImages,DenyServiceExternalIPs,EventRateLimit,NodeRestriction"',
      '+ v1alpha1.cluster.apiServer.extraArgs.enable-admission-plugins = "DenyServiceExternalIPs,EventRateLimit,NodeRestriction"',
    ]);
  });
});

describe('the program (mock runtime)', () => {
  test('each bulwark:talos:Node registers its preview as the plain input machineConfig; the configuration itself stays secret', async () => {
    const run = await runExample('prod');
    expect(run.error).toBeUndefined();
    const expected = previews(exampleValues('prod'), 'prod', PLACEHOLDER_SECRETS);
    const nodes = run.registrations.filter((r) => r.type === 'bulwark:talos:Node');
    expect(nodes.map((r) => r.name)).toEqual(['prod-cp-1', 'prod-cp-2', 'prod-cp-3', 'prod-worker-1', 'prod-worker-2', 'prod-worker-3']);
    const order = ['prod-cp-1', 'prod-cp-2', 'prod-cp-3', 'prod-worker-1', 'prod-worker-2', 'prod-worker-3'];
    for (const r of nodes) {
      expect(isSecretValue(r.raw.machineConfig)).toBe(false);
      expect(r.raw.machineConfig).toBe(expected[order.indexOf(r.name)]);
      expect(Object.keys(r.raw)).toEqual(['machineConfig']);
    }
    // the apply still gets the configuration only as a secret
    expect(isSecretValue(run.byName.get('prod-cp-1-apply')!.raw.stdin)).toBe(true);
    const leaks = secretStrings(await testSecrets());
    for (const r of nodes) for (const s of leaks) expect(String(r.raw.machineConfig).includes(s)).toBe(false);
  });
});
