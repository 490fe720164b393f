/**
 * The Talos admin client certificate, re-issued per quarter from the OS CA
 * (core/secrets/admin-client.ts): the same bytes within a quarter, a new certificate the next,
 * always a valid os:admin client certificate of the cluster's OS CA.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { adminValidity, quarterlyAdminClient, withQuarterlyAdminClient } from '../core/secrets/admin-client';
import { checkSecrets, fromB64, normalizePem } from '../core/secrets/bundle';
import { generateSecrets } from '../core/secrets/generate';
import { testSecrets } from './helpers';

const day = (s: string) => new Date(`${s}T00:00:00Z`);

describe('adminValidity', () => {
  test.each([
    ['2026-01-01', '2026-01-01', '2025-12-31', '2026-07-01'],
    ['2026-03-31', '2026-01-01', '2025-12-31', '2026-07-01'],
    ['2026-04-01', '2026-04-01', '2026-03-31', '2026-10-01'],
    ['2026-11-26', '2026-10-01', '2026-09-30', '2027-04-01'],
  ])('%s: quarter %s, valid %s to %s', (at, quarter, notBefore, notAfter) => {
    const v = adminValidity(day(at));
    expect([v.quarter, v.notBefore, v.notAfter].map((d) => d.toISOString().slice(0, 10))).toEqual([quarter, notBefore, notAfter]);
  });

  test('on every day, that day\'s certificate is already valid and stays valid for months', () => {
    for (let t = day('2026-01-01').getTime(); t < day('2028-01-01').getTime(); t += 86400_000) {
      const now = new Date(t);
      const v = adminValidity(now);
      expect(v.notBefore.getTime()).toBeLessThan(t);
      expect(v.notAfter.getTime()).toBeGreaterThan(t + 80 * 86400_000); // a talosconfig handed out today works for months
    }
  });
});

describe('quarterlyAdminClient', () => {
  test('is an os:admin client certificate signed by the bundle\'s OS CA, valid for its window, with its key', async () => {
    const b = await testSecrets();
    const c = await quarterlyAdminClient(b, day('2026-11-26'));
    const cert = new X509Certificate(fromB64(c.crt));
    const ca = new X509Certificate(fromB64(b.certs.os.crt));
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIssued(ca)).toBe(true);
    expect(cert.subject).toBe('O=os:admin');
    expect(cert.checkPrivateKey(createPrivateKey(normalizePem(fromB64(c.key))))).toBe(true);
    expect(fromB64(c.key)).toMatch(/^-----BEGIN ED25519 PRIVATE KEY-----\n/);
    expect(new Date(cert.validFrom).toISOString().slice(0, 10)).toBe('2026-09-30');
    expect(new Date(cert.validTo).toISOString().slice(0, 10)).toBe('2027-04-01');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth
    // and the bundle carrying it passes the same checks as a generated one
    expect(checkSecrets(await withQuarterlyAdminClient(b, day('2026-11-26'))).problems).toEqual([]);
  });

  test('the same quarter gives the same bytes; another quarter or another CA, another certificate and key', async () => {
    const b = await testSecrets();
    const q4 = await quarterlyAdminClient(b, day('2026-10-02'));
    expect(await quarterlyAdminClient(b, day('2026-12-31'))).toEqual(q4);
    const next = await quarterlyAdminClient(b, day('2027-01-01'));
    expect(next.crt).not.toBe(q4.crt);
    expect(next.key).not.toBe(q4.key);
    const other = await quarterlyAdminClient(await generateSecrets(day('2026-01-01')), day('2026-10-02'));
    expect(other.key).not.toBe(q4.key);
    expect(new X509Certificate(fromB64(other.crt)).verify(new X509Certificate(fromB64(b.certs.os.crt)).publicKey)).toBe(false);
  });

  test('works from the year the CA was made to the year it expires', async () => {
    const b = await testSecrets();
    const ca = new X509Certificate(fromB64(b.certs.os.crt));
    const late = new Date(new Date(ca.validTo).getTime() - 30 * 86400_000);
    const cert = new X509Certificate(fromB64((await quarterlyAdminClient(b, late)).crt));
    expect(cert.verify(ca.publicKey)).toBe(true);
  });
});
