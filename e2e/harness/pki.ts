/**
 * Leaf certificates issued from the CAs of a Bulwark secrets bundle, the way Talos issues them on a
 * node (ECDSA P-256 keys, one year is plenty for a test). Keys come from node:crypto, certificates
 * from @peculiar/x509, like core/secrets/generate.ts.
 */
import 'reflect-metadata';
import { createPrivateKey, generateKeyPairSync, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGN = { name: 'ECDSA', hash: 'SHA-256' };

export interface Pem { crt: string; key: string }

export interface LeafSpec {
  /** e.g. "CN=kube-apiserver" or "O=system:masters, CN=admin" */
  subject: string;
  server?: boolean;
  client?: boolean;
  dns?: string[];
  ips?: string[];
}

async function importPrivate(pem: string): Promise<webcrypto.CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, EC, true, ['sign']);
}

/** Issues a leaf certificate signed by `ca` (an ECDSA P-256 CA as in the bundle). */
export async function issue(ca: Pem, spec: LeafSpec): Promise<Pem> {
  const caCert = new x509.X509Certificate(ca.crt);
  const caKey = await importPrivate(ca.key);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), EC, true, ['verify']);
  const usages: string[] = [];
  if (spec.server) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (spec.client) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(usages),
    await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  const names = [...(spec.dns ?? []).map((v) => ({ type: 'dns' as const, value: v })), ...(spec.ips ?? []).map((v) => ({ type: 'ip' as const, value: v }))];
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  const serial = randomBytes(16);
  serial[0] &= 0x7f;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString('hex'),
    subject: spec.subject,
    issuer: caCert.subject,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 365 * 86400_000),
    signingAlgorithm: SIGN,
    publicKey: pub,
    signingKey: caKey,
    extensions,
  });
  return { crt: cert.toString('pem'), key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** A throwaway self-signed CA (for the IdP's TLS, which is not part of the cluster's PKI). */
export async function selfSignedCa(subject: string): Promise<Pem> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = {
    privateKey: await webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), EC, true, ['sign']),
    publicKey: await webcrypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), EC, true, ['verify']),
  } as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex').replace(/^[89a-f]/, '1'),
    name: subject,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 30 * 86400_000),
    signingAlgorithm: SIGN,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { crt: cert.toString('pem'), key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}
