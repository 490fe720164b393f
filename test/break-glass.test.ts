/**
 * Issue 11 item 2: break-glass is minted on demand for a named person with a reason, capped by
 * the profile; the program deploys as its own identity, which is neither system:masters nor the
 * break-glass identity.
 */
import 'reflect-metadata';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { run as breakGlassCli } from '../cli/break-glass';
import { StackConfigError } from '../core/config/errors';
import { fromB64 } from '../core/secrets/bundle';
import { mintBreakGlass } from '../core/secrets/break-glass';
import { deployerClient, deployerValidity } from '../core/secrets/deployer-client';
import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import { TODAY, example, exampleValues, testSecrets } from './helpers';

const subjectOf = (pem: string) => new X509Certificate(pem).subject.split('\n');
function problems(name: string, change: (v: Record<string, any>) => void) {
  const v = structuredClone(exampleValues(name)) as Record<string, any>;
  change(v);
  try {
    validateValues(name, v, { today: TODAY });
    return [];
  } catch (e) {
    if (e instanceof StackConfigError) return e.problems;
    throw e;
  }
}

describe('the profile caps the break-glass lifetime', () => {
  it('rejects cluster.breakGlassCertLifetime over the cap, naming the key path, the cap and the profile', () => {
    const lab = problems('lab', (v) => (v.cluster.breakGlassCertLifetime = '87600h'));
    expect(lab).toContainEqual({ path: 'bulwark:cluster.breakGlassCertLifetime', message: expect.stringMatching(/is 87600h, longer than the 8h profile single-team allows.*use 8h or less/) });
    const saas = problems('saas', (v) => (v.cluster.breakGlassCertLifetime = '2h'));
    expect(saas).toContainEqual({ path: 'bulwark:cluster.breakGlassCertLifetime', message: expect.stringMatching(/longer than the 1h profile hostile-multi-tenant allows/) });
    expect(problems('saas', (v) => (v.cluster.breakGlassCertLifetime = '1h'))).toEqual([]);
  });
});

describe('the posture report says what break-glass is and what the talosconfig can do', () => {
  it.each([['saas', '1h', '30m'], ['lab', '8h', '1h']])('%s', async (name, cap, lifetime) => {
    const r = renderStack(example(name), await testSecrets());
    const notes = (id: string) => r.posture.controls.find((c) => c.id === id)!.notes.join('\n');
    const glass = notes('auth.breakglass.short-lived-admin');
    expect(glass).toMatch(/minted on demand by `npm run break-glass -- --stack <stack> --person <name> --reason <text>`/);
    expect(glass).toMatch(/CN=break-glass:<person>, groups system:masters, bulwark:break-glass and bulwark:break-glass-reason:<reason>/);
    expect(glass).toContain(`Default lifetime ${lifetime}`);
    expect(glass).toContain(`caps it at ${cap} (breakGlassMaxLifetime)`);
    expect(glass).toMatch(/The talosconfig \(O=os:admin.*\) is itself a root credential: `talosctl kubeconfig` mints a CN=admin, O=system:masters kubeconfig/);
    expect(notes('auth.deployer.own-identity')).toMatch(/authenticates as bulwark:deployer \(group bulwark:deployers\).*can grant anything: it is a distinct, revocable, audited identity/s);
  });
});

describe('the deployer identity', () => {
  it('is bulwark:deployer in bulwark:deployers: not system:masters, not break-glass; signed by the cluster CA; one UTC day, same bytes', async () => {
    const b = await testSecrets();
    const morning = await deployerClient(b, new Date('2026-12-01T00:00:01Z'));
    const evening = await deployerClient(b, new Date('2026-12-01T23:59:59Z'));
    expect(evening).toEqual(morning);
    expect(subjectOf(morning.crt)).toEqual(['CN=bulwark:deployer', 'O=bulwark:deployers']);
    const cert = new X509Certificate(morning.crt);
    expect(cert.verify(new X509Certificate(fromB64(b.certs.k8s.crt)).publicKey)).toBe(true);
    expect([cert.validFrom, cert.validTo].map(Date.parse)).toEqual([Date.parse('2026-11-30T23:00:00Z'), Date.parse('2026-12-03T00:00:00Z')]);
    expect(deployerValidity(new Date('2026-12-01T12:00:00Z')).day).toBe('2026-12-01');
    const tomorrow = await deployerClient(b, new Date('2026-12-02T00:00:00Z'));
    expect(tomorrow.crt).not.toBe(morning.crt);
    expect(tomorrow.key).not.toBe(morning.key);
    const glass = await mintBreakGlass(b, { person: 'alice@example.com', reason: 'OIDC provider down, INC-1234', lifetime: '1h', now: new Date('2026-12-01T10:00:00Z') });
    expect(subjectOf(glass.crt)[0]).not.toBe(subjectOf(morning.crt)[0]);
    expect(subjectOf(morning.crt).join()).not.toMatch(/system:masters/);
  });
});

describe('break-glass', () => {
  it('names the person in CN and carries the reason as a group; lifetime as asked', async () => {
    const b = await testSecrets();
    const now = new Date('2026-12-01T10:00:00Z');
    const c = await mintBreakGlass(b, { person: 'alice@example.com', reason: 'OIDC provider down, INC-1234', lifetime: '30m', now });
    // as the API server reads it (x509 RDNs, not node's display form, which escapes the comma)
    expect(new x509.X509Certificate(c.crt).subjectName.toJSON()).toEqual([
      { CN: ['break-glass:alice@example.com'] }, { O: ['system:masters'] }, { O: ['bulwark:break-glass'] }, { O: ['bulwark:break-glass-reason:OIDC provider down, INC-1234'] },
    ]);
    const cert = new X509Certificate(c.crt);
    expect(Date.parse(cert.validTo) - now.getTime()).toBe(30 * 60_000);
    expect(cert.verify(new X509Certificate(fromB64(b.certs.k8s.crt)).publicKey)).toBe(true);
    // Each mint is its own credential.
    const again = await mintBreakGlass(b, { person: 'alice@example.com', reason: 'OIDC provider down, INC-1234', lifetime: '30m', now });
    expect(again.serial).not.toBe(c.serial);
  });

  describe('npm run break-glass', () => {
    let out: string;
    let secrets: string;
    let stderr: string;
    const io = { stdin: () => '', now: () => new Date(`${TODAY}T10:00:00Z`) };
    beforeAll(async () => {
      out = mkdtempSync(join(tmpdir(), 'bulwark-break-glass-'));
      secrets = join(out, 'bundle.yaml');
      writeFileSync(secrets, stringify(await testSecrets()), { mode: 0o600 });
    });
    const cli = async (args: string[], input = io) => {
      stderr = '';
      const spy = jest.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
      try {
        return await breakGlassCli(args, input);
      } finally {
        spy.mockRestore();
      }
    };

    it('writes a 0600 kubeconfig for the person and reports user, groups, serial and validity', async () => {
      expect(await cli(['--stack', 'saas', '--person', 'alice@example.com', '--reason', 'OIDC provider down, INC-1234', '--out', out, '--secrets', secrets])).toBe(0);
      const file = join(out, 'saas', 'break-glass-alice@example.com.kubeconfig');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const kc = parse(readFileSync(file, 'utf8'));
      expect(kc.users[0].name).toBe('break-glass:alice@example.com@saas');
      expect(subjectOf(Buffer.from(kc.users[0].user['client-certificate-data'], 'base64').toString())[0]).toBe('CN=break-glass:alice@example.com');
      const cert = new X509Certificate(Buffer.from(kc.users[0].user['client-certificate-data'], 'base64'));
      expect(Date.parse(cert.validTo)).toBe(Date.parse(`${TODAY}T10:30:00Z`)); // saas: cluster.breakGlassCertLifetime 30m
      expect(stderr).toMatch(/user: +break-glass:alice@example.com/);
      expect(stderr).toMatch(/groups: +system:masters, bulwark:break-glass, bulwark:break-glass-reason:OIDC provider down, INC-1234/);
      expect(stderr).not.toMatch(/PRIVATE KEY/);
    });

    it('refuses a lifetime over the profile\'s cap, with the cap in the message', async () => {
      expect(await cli(['--stack', 'saas', '--person', 'alice', '--reason', 'OIDC provider down, INC-1234', '--lifetime', '2h', '--out', out, '--secrets', secrets])).toBe(2);
      expect(stderr).toMatch(/--lifetime is 2h, longer than the 1h profile hostile-multi-tenant allows a break-glass certificate.*use 1h or less/);
    });

    it('lists every problem with the request at once', async () => {
      expect(await cli(['--person', 'a b', '--reason', 'short', '--lifetime', 'forever'])).toBe(2);
      expect(stderr).toMatch(/--stack is missing/);
      expect(stderr).toMatch(/--person "a b" is not a person's name/);
      expect(stderr).toMatch(/--reason must be 10 to 120 printable ASCII characters/);
      expect(stderr).toMatch(/--lifetime "forever" is not a duration/);
    });

    it('takes the bundle from `pulumi stack export --show-secrets` on stdin', async () => {
      const bundle = await testSecrets();
      const state = JSON.stringify({
        deployment: { resources: [{ type: 'pulumi-nodejs:dynamic/bulwark:ClusterSecretsBundle', outputs: { bundle: { '4dabf18193072939515e22adb298388d': '1b47061264138c4ac30d75fd1eb44270', plaintext: JSON.stringify(bundle) } } }] },
      });
      expect(await cli(['--stack', 'lab', '--person', 'bob', '--reason', 'RBAC broken after an upgrade', '--out', out, '--state', '-'], { ...io, stdin: () => state })).toBe(0);
      const kc = parse(readFileSync(join(out, 'lab', 'break-glass-bob.kubeconfig'), 'utf8'));
      expect(kc.clusters[0].cluster['certificate-authority-data']).toBe(bundle.certs.k8s.crt);
      expect(await cli(['--stack', 'lab', '--person', 'bob', '--reason', 'RBAC broken after an upgrade', '--out', out, '--state', '-'], { ...io, stdin: () => '{"deployment":{"resources":[]}}' })).toBe(2);
      expect(stderr).toMatch(/holds no pulumi-nodejs:dynamic\/bulwark:ClusterSecretsBundle/);
    });
  });
});
