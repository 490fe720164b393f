/**
 * The program during a CA rotation (bulwark:caRotation), under the mock runtime: the secrets resource gets the
 * phase as its input, each node's redacted configuration preview shows the acceptedCAs the phase adds (accept) or
 * removes (drop), every node's rollout step carries the phase's configuration, and no private key of either CA
 * (the new one's included, which only the bundle in state holds) is in a plain input or output.
 */
import { fromB64 } from '../../core/secrets/bundle';
import type { SecretsBundle } from '../../core/secrets/bundle';
import { withQuarterlyAdminClient } from '../../core/secrets/admin-client';
import { configDigest } from '../../core/talos/reboot';
import { renderStack } from '../../core/render/index';
import { PHASE_NAMES, type PhaseName, rotationPhases } from '../ca-phases';
import { TODAY, example, testSecrets } from '../helpers';
import { Run, isSecretValue, runExample } from './harness';

const runs = new Map<PhaseName, Run>();
let phases: Record<PhaseName, SecretsBundle>;
beforeAll(async () => {
  phases = await rotationPhases(await testSecrets());
  for (const phase of PHASE_NAMES)
    runs.set(phase, await runExample('lab', (v) => { if (phase !== 'before') v.caRotation = { kubernetes: phase, talos: phase }; }, { secrets: phases[phase] }));
}, 300_000);

const preview = (phase: PhaseName, node: string) => String(runs.get(phase)!.byName.get(node)!.raw.machineConfig);
const nodes = () => example('lab').stack.nodes.map((n) => n.name);

test('the phase is the secrets resource\'s input (absent when no rotation is asked for)', () => {
  expect(runs.get('before')!.byName.get('cluster-secrets-bundle')!.raw.caRotation).toBeUndefined();
  expect(runs.get('switch')!.byName.get('cluster-secrets-bundle')!.raw.caRotation).toEqual({ kubernetes: 'switch', talos: 'switch' });
});

test('each node\'s configuration preview gains acceptedCAs in accept and loses them in drop', () => {
  for (const n of nodes()) {
    const accepted = (phase: PhaseName) => preview(phase, n).split('\n').filter((l) => /acceptedCAs/.test(l));
    const count = (phase: PhaseName, doc: string) => accepted(phase).filter((l) => l.startsWith(doc)).length;
    // Talos API CA in the v1alpha1 document; Kubernetes CA in KubeAPIServerCAConfig (contract 1.14; a worker lists the issuing one there too)
    expect(count('before', 'v1alpha1.machine.acceptedCAs')).toBe(0);
    expect(count('accept', 'v1alpha1.machine.acceptedCAs')).toBe(1);
    expect(count('accept', 'KubeAPIServerCAConfig.acceptedCAs')).toBe(count('before', 'KubeAPIServerCAConfig.acceptedCAs') + 1);
    expect(accepted('accept').every((l) => l.endsWith('"[redacted]"'))).toBe(true);
    expect(accepted('drop')).toEqual(accepted('before'));
  }
});

test('every node\'s rollout step applies the phase\'s configuration', async () => {
  const v = example('lab');
  for (const phase of PHASE_NAMES) {
    const r = renderStack(v, await withQuarterlyAdminClient(phases[phase], new Date(`${TODAY}T00:00:00Z`)));
    for (const n of r.nodes) {
      const env = runs.get(phase)!.byName.get(`${n.name}-rollout`)!.raw.environment as Record<string, string>;
      expect(env.BULWARK_CONFIG_DIGEST).toBe(configDigest(n.config));
    }
  }
  const digest = (phase: PhaseName) => (runs.get(phase)!.byName.get(`${v.stack.nodes[0].name}-rollout`)!.raw.environment as Record<string, string>).BULWARK_CONFIG_DIGEST;
  expect(new Set(PHASE_NAMES.map(digest)).size).toBe(4);
});

test('no private key of an old or new CA is in a plain input or output, in any phase', () => {
  const keys = new Set<string>();
  for (const b of Object.values(phases)) {
    for (const k of [b.certs.k8s.key, b.certs.os.key, ...Object.values(b.caRotation ?? {}).flatMap((r) => ('next' in r ? [r.next.key] : []))]) {
      keys.add(k);
      for (const line of fromB64(k).split('\n')) if (line.length >= 40 && !line.startsWith('-----')) keys.add(line);
    }
  }
  expect(keys.size).toBeGreaterThan(8);
  const plain = (v: unknown, out: string[] = []): string[] => {
    if (isSecretValue(v)) return out;
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach((x) => plain(x, out));
    else if (v && typeof v === 'object') Object.values(v).forEach((x) => plain(x, out));
    return out;
  };
  for (const [phase, run] of runs) {
    const strings = [...run.registrations.flatMap((r) => plain(r.raw)), ...plain(run.stackOutputs)];
    for (const s of strings) for (const k of keys) if (s.includes(k)) throw new Error(`${phase}: CA key material in a plain value: ${s.slice(0, 60)}…`);
  }
});

test('the Kubernetes CA\'s drop phase rolls out workers first (their kubelets re-bootstrap while every API server accepts both CAs)', () => {
  const v = example('lab');
  const [cp, worker] = ['controlplane', 'worker'].map((role) => v.stack.nodes.find((n) => n.role === role)!.name);
  const dependsOnStep = (phase: PhaseName, node: string, on: string) =>
    runs.get(phase)!.byName.get(`${node}-rollout`)!.dependencies.includes(runs.get(phase)!.byName.get(`${on}-rollout`)!.urn);
  for (const phase of ['before', 'accept', 'switch'] as const) expect([dependsOnStep(phase, worker, cp), dependsOnStep(phase, cp, worker)]).toEqual([true, false]);
  expect([dependsOnStep('drop', worker, cp), dependsOnStep('drop', cp, worker)]).toEqual([false, true]);
});
