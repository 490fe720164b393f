/**
 * Kubernetes client certificates signed offline by the cluster's Kubernetes CA (certs.k8s of the
 * bundle, ECDSA P-256 as Talos generates it). The API server takes a client certificate's CN as
 * the username and each O as a group.
 *
 * Signatures are deterministic (RFC 6979, @noble/curves): WebCrypto's ECDSA draws a random
 * nonce, so the same certificate would come out different on every run, and a credential that
 * the program hands to its Kubernetes provider would change every preview.
 */
import 'reflect-metadata';
import { createHash, createPrivateKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { p256 } from '@noble/curves/nist';
import { SecretsBundle, fromB64 } from './bundle';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface KubeClientRequest {
  /** Distinguished name, e.g. "CN=bulwark:deployer, O=bulwark:deployers" (or built as an x509.Name). */
  subject: string | x509.Name;
  /** SPKI DER of the client's public key. */
  publicKey: ArrayBuffer;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
}

/** Issues a client certificate (clientAuth only) from the bundle's Kubernetes CA. */
export async function issueKubeClient(bundle: SecretsBundle, req: KubeClientRequest): Promise<x509.X509Certificate> {
  const caPem = fromB64(bundle.certs.k8s.crt);
  const caKey = createPrivateKey(fromB64(bundle.certs.k8s.key));
  const jwk = caKey.export({ format: 'jwk' });
  if (jwk.crv !== 'P-256' || !jwk.d) throw new Error('the bundle\'s Kubernetes CA key (certs.k8s.key) is not an ECDSA P-256 key, as Talos generates it');
  const scalar = Buffer.from(jwk.d, 'base64url');
  const ca = new x509.X509Certificate(caPem);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const signingKey = await webcrypto.subtle.importKey('pkcs8', caKey.export({ type: 'pkcs8', format: 'der' }), algorithm, false, ['sign']);
  // @peculiar/x509 signs through the crypto it is given: this one signs deterministically.
  const sign = async (_alg: unknown, _key: unknown, data: ArrayBuffer | ArrayBufferView) => {
    const bytes = ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
    const digest = createHash('sha256').update(bytes).digest();
    return new Uint8Array(p256.sign(digest, scalar, { lowS: true }).toCompactRawBytes()).buffer;
  };
  const subtle = new Proxy(webcrypto.subtle, {
    get: (target, prop) => (prop === 'sign' ? sign : (Reflect.get(target, prop) as (...a: unknown[]) => unknown).bind(target)),
  });
  const deterministic = new Proxy(webcrypto, {
    get: (target, prop) => (prop === 'subtle' ? subtle : (Reflect.get(target, prop) as (...a: unknown[]) => unknown).bind?.(target) ?? Reflect.get(target, prop)),
  }) as unknown as webcrypto.Crypto;
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: req.serialNumber,
      subject: req.subject,
      issuer: ca.subject,
      notBefore: req.notBefore,
      notAfter: req.notAfter,
      signingAlgorithm: algorithm,
      publicKey: req.publicKey,
      signingKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        await x509.AuthorityKeyIdentifierExtension.create(await ca.publicKey.export()),
      ],
    },
    deterministic,
  );
}
