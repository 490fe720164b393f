/** A bundle in each phase of a CA rotation (core/secrets/ca-rotation.ts), and certificates compared by fingerprint. */
import { X509Certificate } from 'node:crypto';
import type { SecretsBundle } from '../core/secrets/bundle';
import { fromB64 } from '../core/secrets/bundle';
import { CaPhase, RotatedCa, advanceCaRotation } from '../core/secrets/ca-rotation';

export type PhaseName = 'before' | CaPhase;
export const PHASE_NAMES: readonly PhaseName[] = ['before', 'accept', 'switch', 'drop'];

/** The bundle before a rotation of `cas` and after each phase (the CAs rotated together). */
export async function rotationPhases(b: SecretsBundle, cas: RotatedCa[] = ['k8s', 'os']): Promise<Record<PhaseName, SecretsBundle>> {
  const out: Partial<Record<PhaseName, SecretsBundle>> = { before: b };
  let cur = b;
  for (const phase of ['accept', 'switch', 'drop'] as const) {
    for (const ca of cas) cur = await advanceCaRotation(cur, ca, phase);
    out[phase] = cur;
  }
  return out as Record<PhaseName, SecretsBundle>;
}

/**
 * SHA-256 fingerprints of every certificate in a PEM text, in order, read as Go's encoding/pem reads a bundle (the
 * API server's client-CA file): a block begins at the start of a line, so two blocks joined without a newline
 * between them count as one.
 */
export function fingerprints(pem: string): string[] {
  return [...pem.matchAll(/(?:^|\n)(-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----)(?=\n|$)/g)].map((m) => new X509Certificate(m[1]).fingerprint256);
}

/** The fingerprint of a bundle's base64 PEM certificate. */
export const fp = (crtB64: string) => new X509Certificate(fromB64(crtB64)).fingerprint256;

/** Whether `leafPem` is signed by the CA certificate `caB64`. */
export function signedBy(leafPem: string, caB64: string): boolean {
  const ca = new X509Certificate(fromB64(caB64));
  const leaf = new X509Certificate(leafPem);
  return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
}
