/**
 * Generates cluster secrets once, in the formats Talos expects (pkg/machinery/config/generate/secrets):
 * ECDSA P-256 CAs for etcd, Kubernetes and the aggregator; an Ed25519 CA for the Talos API;
 * an RSA-4096 service-account key; tokens from [a-z0-9]; 32-byte secretbox key, cluster id and secret.
 * Keys come from node:crypto, certificates from @peculiar/x509: no hand-written crypto.
 */
import 'reflect-metadata';
import { KeyObject, generateKeyPairSync, randomBytes, randomInt, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { SecretsBundle } from './bundle';
import { issueAdminCertificate, talosEd25519Pem } from './admin-client';
import { toB64 } from './bundle';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const TOKEN_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
const CA_VALIDITY_DAYS = 3650;
const ADMIN_CLIENT_VALIDITY_DAYS = 365;

function token(a: number, b: number): string {
  const part = (n: number) => Array.from({ length: n }, () => TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)]).join('');
  return `${part(a)}.${part(b)}`;
}

export type Alg = 'ecdsa' | 'ed25519';

export interface KeyPair {
  privatePem: string;
  crypto: webcrypto.CryptoKeyPair;
}

async function keyPair(alg: Alg): Promise<KeyPair> {
  if (alg === 'ecdsa') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const algo = { name: 'ECDSA', namedCurve: 'P-256' };
    return {
      privatePem: privateKey.export({ type: 'sec1', format: 'pem' }) as string,
      crypto: await importPair(privateKey, publicKey, algo),
    };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privatePem: talosEd25519Pem(privateKey), crypto: await importPair(privateKey, publicKey, { name: 'Ed25519' }) };
}

async function importPair(priv: KeyObject, pub: KeyObject, algo: webcrypto.EcKeyImportParams | webcrypto.Algorithm): Promise<webcrypto.CryptoKeyPair> {
  const subtle = webcrypto.subtle;
  const privateKey = await subtle.importKey('pkcs8', priv.export({ type: 'pkcs8', format: 'der' }), algo, true, ['sign']);
  const publicKey = await subtle.importKey('spki', pub.export({ type: 'spki', format: 'der' }), algo, true, ['verify']);
  return { privateKey, publicKey } as webcrypto.CryptoKeyPair;
}

const signingAlg = (alg: Alg) => (alg === 'ecdsa' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' });

function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive
  return b.toString('hex');
}

export async function certificateAuthority(alg: Alg, subject: string, now: Date): Promise<{ crt: string; key: string; pair: KeyPair; cert: x509.X509Certificate }> {
  const pair = await keyPair(alg);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: subject,
    notBefore: now,
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * 86400_000),
    signingAlgorithm: signingAlg(alg),
    keys: pair.crypto,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      await x509.SubjectKeyIdentifierExtension.create(pair.crypto.publicKey),
    ],
  });
  return { crt: cert.toString('pem'), key: pair.privatePem, pair, cert };
}

/** The Talos API admin client certificate (O=os:admin), signed by the OS CA. */
async function adminClient(ca: { pair: KeyPair; cert: x509.X509Certificate }, now: Date): Promise<{ crt: string; key: string }> {
  const pair = await keyPair('ed25519');
  const cert = await issueAdminCertificate({ cert: ca.cert, key: ca.pair.crypto.privateKey }, pair.crypto.publicKey, {
    serialNumber: serial(),
    notBefore: now,
    notAfter: new Date(now.getTime() + ADMIN_CLIENT_VALIDITY_DAYS * 86400_000),
  });
  return { crt: cert.toString('pem'), key: pair.privatePem };
}

export async function generateSecrets(now = new Date()): Promise<SecretsBundle> {
  const [etcd, k8s, aggregator, os] = await Promise.all([
    certificateAuthority('ecdsa', 'O=etcd', now),
    certificateAuthority('ecdsa', 'O=kubernetes', now),
    certificateAuthority('ecdsa', '', now),
    certificateAuthority('ed25519', 'O=talos', now),
  ]);
  const sa = generateKeyPairSync('rsa', { modulusLength: 4096 }).privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  const admin = await adminClient(os, now);
  return {
    cluster: { id: randomBytes(32).toString('base64url') + '=', secret: randomBytes(32).toString('base64') },
    secrets: { bootstraptoken: token(6, 16), secretboxencryptionsecret: randomBytes(32).toString('base64') },
    trustdinfo: { token: token(6, 16) },
    certs: {
      etcd: { crt: toB64(etcd.crt), key: toB64(etcd.key) },
      k8s: { crt: toB64(k8s.crt), key: toB64(k8s.key) },
      k8saggregator: { crt: toB64(aggregator.crt), key: toB64(aggregator.key) },
      k8sserviceaccount: { key: toB64(sa) },
      os: { crt: toB64(os.crt), key: toB64(os.key) },
    },
    clients: { talosAdmin: { crt: toB64(admin.crt), key: toB64(admin.key) } },
  };
}
