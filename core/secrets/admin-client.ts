/**
 * The Talos API admin client certificate (O=os:admin) every talosctl step, the talosconfig
 * output and the break-glass kubeconfig use, re-issued from the OS CA for each calendar
 * quarter, so it never runs out while the CA lives (10 years).
 *
 * A certificate issued once at generation would expire after its lifetime and lock the
 * program out of its own cluster. A fresh one on every run would change every command's
 * input on every preview. So it is a function of the OS CA and the quarter alone: the key is
 * derived from the CA key (HKDF-SHA256, the quarter as context), the serial from the CA
 * certificate and the quarter, and Ed25519 signatures are deterministic. Same quarter, same
 * bytes; a new quarter changes the talosconfig once (the rollout steps then update, compare
 * their records and do nothing).
 *
 * Valid from a day before the quarter begins (clock skew) to the end of the next quarter, so
 * a talosconfig handed out late in a quarter still works after it.
 */
import 'reflect-metadata';
import { KeyObject, createHash, createPrivateKey, createPublicKey, hkdfSync, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { SecretsBundle, fromB64, normalizePem, toB64 } from './bundle';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** PKCS#8 DER of an Ed25519 private key, before its 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const DERIVATION_SALT = 'bulwark/talos-admin-client/v1';

export interface AdminValidity {
  /** First day of the quarter, UTC: names the certificate. */
  quarter: Date;
  notBefore: Date;
  notAfter: Date;
}

/** The quarter `at` falls in, and the validity of that quarter's certificate. */
export function adminValidity(at: Date): AdminValidity {
  const y = at.getUTCFullYear();
  const q = Math.floor(at.getUTCMonth() / 3) * 3;
  const quarter = new Date(Date.UTC(y, q, 1));
  return { quarter, notBefore: new Date(quarter.getTime() - 86400_000), notAfter: new Date(Date.UTC(y, q + 6, 1)) };
}

/**
 * Issues an admin client certificate for `publicKey`, signed by the OS CA. Shared by secret
 * generation and the quarterly re-issue, so both carry the same subject and extensions.
 */
export async function issueAdminCertificate(
  ca: { cert: x509.X509Certificate; key: webcrypto.CryptoKey },
  publicKey: webcrypto.CryptoKey,
  validity: { notBefore: Date; notAfter: Date; serialNumber: string },
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.create({
    serialNumber: validity.serialNumber,
    subject: 'O=os:admin',
    issuer: ca.cert.subject,
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    signingAlgorithm: { name: 'Ed25519' },
    publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(await ca.cert.publicKey.export()),
    ],
  });
}

/** A private key as PEM with the label Talos's crypto library uses for Ed25519 PKCS#8 keys. */
export function talosEd25519Pem(key: KeyObject): string {
  return (key.export({ type: 'pkcs8', format: 'pem' }) as string).replace(/-----(BEGIN|END) PRIVATE KEY-----/g, '-----$1 ED25519 PRIVATE KEY-----');
}

/** The admin client certificate and key (base64 of PEM, as in the bundle) for the quarter of `at`. */
export async function quarterlyAdminClient(bundle: SecretsBundle, at: Date): Promise<{ crt: string; key: string }> {
  const validity = adminValidity(at);
  const caKey = createPrivateKey(normalizePem(fromB64(bundle.certs.os.key)));
  const caPem = fromB64(bundle.certs.os.crt);
  const label = validity.quarter.toISOString().slice(0, 10);
  const seed = Buffer.from(hkdfSync('sha256', caKey.export({ type: 'pkcs8', format: 'der' }), DERIVATION_SALT, label, 32));
  const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const subtle = webcrypto.subtle;
  const serial = createHash('sha256').update(caPem).update(label).digest().subarray(0, 16);
  serial[0] &= 0x7f; // positive
  const cert = await issueAdminCertificate(
    {
      cert: new x509.X509Certificate(caPem),
      key: await subtle.importKey('pkcs8', caKey.export({ type: 'pkcs8', format: 'der' }), { name: 'Ed25519' }, false, ['sign']),
    },
    await subtle.importKey('spki', createPublicKey(key).export({ type: 'spki', format: 'der' }), { name: 'Ed25519' }, true, ['verify']),
    { ...validity, serialNumber: serial.toString('hex') },
  );
  return { crt: toB64(cert.toString('pem')), key: toB64(talosEd25519Pem(key)) };
}

/** The bundle with its admin client re-issued for the quarter of `at`. */
export async function withQuarterlyAdminClient(bundle: SecretsBundle, at: Date): Promise<SecretsBundle> {
  return { ...bundle, clients: { ...bundle.clients, talosAdmin: await quarterlyAdminClient(bundle, at) } };
}
