/**
 * The identity the program applies Kubernetes objects as: `CN=bulwark:deployer,
 * O=bulwark:deployers`, a client certificate signed offline by the cluster's Kubernetes CA and
 * bound by RBAC to what the program writes (core/controls/catalogue/auth.ts) — not
 * system:masters, and not the break-glass identity, so the audit log tells a deploy from an
 * emergency and deleting one ClusterRoleBinding revokes it.
 *
 * Short-lived and deterministic: a function of the CA and the UTC day alone (key derived from
 * the CA key with HKDF, the day as context; serial from the CA certificate and the day; RFC 6979
 * signature). Same day, same bytes, so previews stay quiet; a new day changes the provider's
 * kubeconfig once (no object changes). Valid from an hour before the day (clock skew) to the
 * end of the next day: a `pulumi up` started at any time of day has at least 24 hours, and a
 * copy that leaks from state or a CI log is worthless within two days.
 */
import { createHash, createPrivateKey, createPublicKey, hkdfSync } from 'node:crypto';
import { p256 } from '@noble/curves/nist';
import { mapHashToField } from '@noble/curves/abstract/modular';
import { SecretsBundle, fromB64 } from './bundle';
import { issueKubeClient } from './kube-client';

export const DEPLOYER_USER = 'bulwark:deployer';
export const DEPLOYER_GROUP = 'bulwark:deployers';
const DERIVATION_SALT = 'bulwark/deployer-client/v1';
const HOUR = 3600_000;

export interface DeployerValidity {
  /** The UTC day, YYYY-MM-DD: names the certificate. */
  day: string;
  notBefore: Date;
  notAfter: Date;
}

export function deployerValidity(at: Date): DeployerValidity {
  const start = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  return { day: new Date(start).toISOString().slice(0, 10), notBefore: new Date(start - HOUR), notAfter: new Date(start + 48 * HOUR) };
}

/** The deployer's client certificate and key (PEM) for the UTC day of `at`. */
export async function deployerClient(bundle: SecretsBundle, at: Date): Promise<{ crt: string; key: string }> {
  const validity = deployerValidity(at);
  const caKeyDer = createPrivateKey(fromB64(bundle.certs.k8s.key)).export({ type: 'pkcs8', format: 'der' });
  // 48 bytes reduced mod n: a uniformly distributed P-256 scalar (FIPS 186-5 A.2.1).
  const okm = new Uint8Array(hkdfSync('sha256', caKeyDer, DERIVATION_SALT, validity.day, 48));
  const d = mapHashToField(okm, p256.CURVE.n);
  const pub = p256.getPublicKey(d, false);
  const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
  const key = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64u(d), x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33, 65)) }, format: 'jwk' });
  const serial = createHash('sha256').update(fromB64(bundle.certs.k8s.crt)).update(DERIVATION_SALT).update(validity.day).digest().subarray(0, 16);
  serial[0] &= 0x7f; // positive
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const cert = await issueKubeClient(bundle, {
    subject: `CN=${DEPLOYER_USER}, O=${DEPLOYER_GROUP}`,
    publicKey: spki.buffer.slice(spki.byteOffset, spki.byteOffset + spki.byteLength) as ArrayBuffer,
    serialNumber: serial.toString('hex'),
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
  });
  return { crt: cert.toString('pem'), key: key.export({ type: 'pkcs8', format: 'pem' }) as string };
}

