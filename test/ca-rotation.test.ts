/**
 * CA rotation in the bundle (core/secrets/ca-rotation.ts) and what each phase renders: which CA issues, which the
 * nodes accept, what clients trust. Talos's own judges of the same phases: test/talos/ca-rotation.test.ts; the
 * real API server: test/e2e/ca-rotation.test.ts.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { parse, parseAllDocuments } from 'yaml';
import { renderStack } from '../core/render/index';
import { quarterlyAdminClient } from '../core/secrets/admin-client';
import { checkSecrets, fromB64 } from '../core/secrets/bundle';
import { advanceCaRotation, caAges, caPhase, rotationStep, trustedCasB64 } from '../core/secrets/ca-rotation';
import { deployerClient } from '../core/secrets/deployer-client';
import { fingerprints, fp, rotationPhases, signedBy } from './ca-phases';
import { example, testSecrets } from './helpers';

const docsOf = (config: string) => parseAllDocuments(config).map((d) => d.toJS() as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any

describe('the phases in the bundle', () => {
  it('accept adds a new CA of the same kind; switch makes it issue and keeps only the old certificate; drop forgets the old', async () => {
    const b = await testSecrets();
    const p = await rotationPhases(b);
    for (const ca of ['k8s', 'os'] as const) {
      const next = p.accept.caRotation![ca]!;
      expect(next.phase).toBe('accept');
      if (next.phase !== 'accept') throw new Error('unreachable');
      // the same CA still issues (its PEM now ends in a newline: Talos joins CA certificates with no separator)
      expect([fp(p.accept.certs[ca].crt), p.accept.certs[ca].key]).toEqual([fp(b.certs[ca].crt), b.certs[ca].key]);
      expect(fromB64(p.accept.certs[ca].crt).endsWith('-----\n')).toBe(true);
      expect(fromB64(next.next.crt).endsWith('-----\n')).toBe(true);
      expect(fp(next.next.crt)).not.toBe(fp(b.certs[ca].crt));
      const kind = (crt: string) => new X509Certificate(fromB64(crt)).publicKey.asymmetricKeyType;
      expect(kind(next.next.crt)).toBe(kind(b.certs[ca].crt));
      expect(p.switch.certs[ca]).toEqual(next.next);
      expect(p.switch.caRotation![ca]).toEqual({ phase: 'switch', previous: { crt: p.accept.certs[ca].crt } });
      expect(JSON.stringify(p.switch)).not.toContain(b.certs[ca].key); // the old key leaves the bundle at the switch
      expect(p.drop.certs[ca]).toEqual(next.next);
      expect(caPhase(p.drop, ca)).toBe('none');
    }
    expect(p.drop.caRotation).toBeUndefined();
    for (const phase of Object.values(p)) expect(checkSecrets(phase).problems).toEqual([]);
  });

  it('one phase at a time, in order; the phase it is in, or drop when none is under way, changes nothing', async () => {
    const p = await rotationPhases(await testSecrets(), ['k8s']);
    expect(rotationStep(p.before, 'k8s', 'switch')).toEqual({ refused: expect.stringMatching(/is "switch", but the Kubernetes CA is not being rotated: the next phase is "accept"/) });
    expect(rotationStep(p.accept, 'k8s', 'drop')).toEqual({ refused: expect.stringMatching(/in phase "accept": the next phase is "switch"/) });
    expect(rotationStep(p.switch, 'k8s', 'accept')).toEqual({ refused: expect.stringMatching(/the next phase is "drop"/) });
    await expect(advanceCaRotation(p.before, 'k8s', 'switch')).rejects.toThrow(/^kubernetes is "switch"/);
    expect(await advanceCaRotation(p.accept, 'k8s', 'accept')).toBe(p.accept);
    expect(await advanceCaRotation(p.drop, 'k8s', 'drop')).toBe(p.drop);
    // leaving the phase out mid-rotation is refused (the preview would otherwise show the old CA dropped); the other CA is not rotating
    expect(rotationStep(p.accept, 'k8s', undefined)).toEqual({ refused: expect.stringMatching(/is not set, but the Kubernetes CA is in phase "accept" of a rotation: keep "accept" until the next phase, which is "switch"/) });
    expect(await advanceCaRotation(p.accept, 'os', undefined)).toBe(p.accept);
    expect(await advanceCaRotation(p.drop, 'k8s', undefined)).toBe(p.drop);
    // the other CA is untouched
    expect(p.drop.certs.os).toEqual(p.before.certs.os);
    // and a later rotation starts again from accept
    expect(caPhase(await advanceCaRotation(p.drop, 'k8s', 'accept'), 'k8s')).toBe('accept');
  });

  it('each CA\'s age from its notBefore, and its phase', async () => {
    const p = await rotationPhases(await testSecrets(), ['os']);
    const now = new Date('2026-12-01T00:00:00Z');
    expect(caAges(p.before, now).map((a) => [a.ca, a.notBefore, a.ageDays, a.phase])).toEqual([['k8s', '2026-01-01', 334, 'none'], ['os', '2026-01-01', 334, 'none']]);
    expect(caAges(p.accept, now)[1].phase).toBe('accept');
    // the new CA was made now (the real clock): after the switch the Talos API CA is young
    expect(caAges(p.switch, new Date())[1].ageDays).toBe(0);
  });
});

describe.each([['prod', '1.13'], ['lab', '1.14']])('%s (contract %s) renders each phase', (stack) => {
  const v = example(stack);
  it('nodes accept both CAs in accept and switch and only the issuing one before and after; the issuing CA is certs.<ca>', async () => {
    const p = await rotationPhases(await testSecrets());
    for (const [phase, b] of Object.entries(p)) {
      for (const n of renderStack(v, b).nodes) {
        const docs = docsOf(n.config);
        const v1 = docs.find((d) => d.machine)!;
        // old: the CA before; new: the one issuing after the switch
        const want = (ca: 'k8s' | 'os') => {
          const [oldCa, newCa] = [p.before.certs[ca].crt, p.switch.certs[ca].crt];
          return { before: [oldCa], accept: [oldCa, newCa], switch: [newCa, oldCa], drop: [newCa] }[phase as 'before']!.map(fp);
        };
        // Talos API CA: machine.ca issues (control planes hold its key), machine.acceptedCAs beside it
        expect([v1.machine.ca.crt, ...(v1.machine.acceptedCAs ?? []).map((c: { crt: string }) => c.crt)].map(fp)).toEqual(want('os'));
        expect(v1.machine.ca.key === '').toBe(n.role === 'worker');
        // Kubernetes CA: cluster.ca / cluster.acceptedCAs (1.13) or KubeAPIServerCAConfig (1.14)
        const k8s = docs.find((d) => d.kind === 'KubeAPIServerCAConfig');
        const k8sCerts: string[] = k8s
          ? [...(k8s.issuingCA ? [k8s.issuingCA.cert] : []), ...(k8s.acceptedCAs ?? [])].map((pem: string) => Buffer.from(pem).toString('base64'))
          : [v1.cluster.ca.crt, ...(v1.cluster.acceptedCAs ?? []).map((c: { crt: string }) => c.crt)];
        expect(k8sCerts.map(fp)).toEqual(want('k8s'));
      }
    }
  });

  it('clients trust every accepted CA; the admin and deployer certificates come from the issuing one', async () => {
    const p = await rotationPhases(await testSecrets());
    const at = new Date('2026-11-26T00:00:00Z');
    for (const [phase, b] of Object.entries(p)) {
      const r = renderStack(v, b);
      const both = phase === 'accept' || phase === 'switch';
      const kc = parse(r.kubeconfig!) as { clusters: { cluster: Record<string, string> }[] };
      expect(fingerprints(fromB64(kc.clusters[0].cluster['certificate-authority-data'])).length).toBe(both ? 2 : 1);
      const tc = parse(r.talosconfig) as { contexts: Record<string, { ca: string }> };
      expect(fingerprints(fromB64(Object.values(tc.contexts)[0].ca))).toEqual(fingerprints(fromB64(trustedCasB64(b, 'os'))));
      expect(fingerprints(fromB64(trustedCasB64(b, 'os'))).length).toBe(both ? 2 : 1);
      expect(signedBy(fromB64((await quarterlyAdminClient(b, at)).crt), b.certs.os.crt)).toBe(true);
      expect(signedBy((await deployerClient(b, at)).crt, b.certs.k8s.crt)).toBe(true);
      createPrivateKey(fromB64(b.certs.k8s.key)); // the issuing key is there
    }
  });
});

describe('bulwark:caRotation in the stack', () => {
  it('takes a phase per CA; anything else is refused at its key path with the phases that would be right', async () => {
    const { configProblems, exampleValues } = await import('./helpers');
    expect(configProblems({ ...exampleValues('lab'), caRotation: { kubernetes: 'accept', talos: 'drop' } })).toEqual([]);
    expect(configProblems({ ...exampleValues('lab'), caRotation: { kubernetes: 'begin', etcd: 'accept' } })).toEqual(expect.arrayContaining([
      { path: 'bulwark:caRotation.kubernetes', message: expect.stringContaining('"begin" is not a rotation phase; write accept (new CA accepted beside the old), switch (the new CA issues) or drop') },
      expect.objectContaining({ path: expect.stringMatching(/^bulwark:caRotation/), message: expect.stringContaining('etcd') }),
    ]));
    const existing = { ...exampleValues('lab'), nodes: [], existingCluster: { kubeconfig: 'apiVersion: v1' }, caRotation: { kubernetes: 'accept' } };
    expect(configProblems(existing)).toEqual(expect.arrayContaining([{ path: 'bulwark:caRotation', message: expect.stringContaining('existing cluster, whose CAs Bulwark does not hold') }]));
  });
});
