/**
 * The posture report's certificate authorities: each rotatable CA's age (from its notBefore) as of a day, flagged
 * when older than the threshold or when a rotation is left half-done (core/secrets/ca-rotation.ts). Added by the
 * CLI, which holds the real bundle and the day (render, posture); the Pulumi program's posture has no such section.
 */
import { X509Certificate } from 'node:crypto';
import type { SecretsBundle } from '../secrets/bundle';
import { fromB64 } from '../secrets/bundle';
import { CA_KEYS, type CaAge, caAges } from '../secrets/ca-rotation';

/** A CA older than this is flagged: three years, well inside the ten a generated CA is valid for. */
export const CA_MAX_AGE_DAYS = 1095;

export interface CaAgeReport {
  /** The day the ages are counted to (YYYY-MM-DD, UTC). */
  asOf: string;
  maxAgeDays: number;
  cas: (CaAge & { findings: string[] })[];
}

const NEXT_PHASE = { accept: 'switch', switch: 'drop' } as const;

export function caAgeReport(b: SecretsBundle, asOf: string, maxAgeDays = CA_MAX_AGE_DAYS): CaAgeReport {
  const now = new Date(`${asOf}T00:00:00Z`);
  const cas = caAges(b, now).map((a) => {
    const findings: string[] = [];
    if (a.ageDays > maxAgeDays) findings.push(`older than ${maxAgeDays} days: rotate it (bulwark:caRotation.${CA_KEYS[a.ca]}: accept, docs/operations.md "Rotating a CA after a leak")`);
    if (a.phase !== 'none') {
      const r = b.caRotation![a.ca]!;
      // the new CA was made when the rotation began: its notBefore dates the accept phase
      const begun = new X509Certificate(fromB64(r.phase === 'accept' ? r.next.crt : b.certs[a.ca].crt)).validFrom;
      findings.push(`rotation left half-done: in phase "${a.phase}" since ${new Date(begun).toISOString().slice(0, 10)} or later; next is "${NEXT_PHASE[a.phase]}"`);
    }
    return { ...a, findings };
  });
  return { asOf, maxAgeDays, cas };
}

export function caAgeMarkdown(r: CaAgeReport): string[] {
  const L = ['## Certificate authorities', '', `Ages as of ${r.asOf}; a CA older than ${r.maxAgeDays} days, or a rotation not finished, is flagged.`, ''];
  L.push('| CA | Since (notBefore) | Age (days) | Rotation | Flag |', '|---|---|---|---|---|');
  for (const c of r.cas) L.push(`| ${c.title} | ${c.notBefore} | ${c.ageDays} | ${c.phase === 'none' ? '—' : c.phase} | ${c.findings.join('; ') || 'ok'} |`);
  return [...L, ''];
}
