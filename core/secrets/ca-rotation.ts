/**
 * Rotating the Kubernetes CA (certs.k8s) or the Talos API CA (certs.os) in place, in the three phases of Talos's
 * own `talosctl rotate-ca` (pkg/rotate/pki): `accept` generates the new CA and every node accepts it beside the
 * old one (machine.acceptedCAs / cluster.acceptedCAs, KubeAPIServerCAConfig.acceptedCAs), the old one still
 * issues; `switch` makes the new CA the issuing one and keeps accepting the old; `drop` stops accepting the old.
 * The bundle records the phase (bundle.ts `caRotation`); `advanceCaRotation` is the one way to move it, from the
 * stack key `bulwark:caRotation` (components/secrets.ts) or `bulwark rotate-ca` on a secrets file.
 */
import { X509Certificate } from 'node:crypto';
import type { SecretsBundle } from './bundle';
import { fromB64, toB64 } from './bundle';

export type RotatedCa = 'k8s' | 'os';
export type CaPhase = 'accept' | 'switch' | 'drop';
export const CA_PHASES: readonly CaPhase[] = ['accept', 'switch', 'drop'];
/** How the stack key and the command name each CA. */
export const CA_KEYS: Record<RotatedCa, 'kubernetes' | 'talos'> = { k8s: 'kubernetes', os: 'talos' };
export const CA_TITLES: Record<RotatedCa, string> = { k8s: 'Kubernetes CA', os: 'Talos API CA' };
/** What each CA is generated as (generate.ts): the same algorithm and subject as the first one. */
const CA_KINDS: Record<RotatedCa, { alg: 'ecdsa' | 'ed25519'; subject: string }> = {
  k8s: { alg: 'ecdsa', subject: 'O=kubernetes' },
  os: { alg: 'ed25519', subject: 'O=talos' },
};

/** The phase the bundle is in for `ca`: 'none' when no rotation is under way. */
export function caPhase(b: SecretsBundle, ca: RotatedCa): 'none' | 'accept' | 'switch' {
  return b.caRotation?.[ca]?.phase ?? 'none';
}

/** Base64 PEMs of the CAs nodes accept for `ca` beside the issuing one (certs.<ca>). */
export function acceptedCas(b: SecretsBundle, ca: RotatedCa): string[] {
  const r = b.caRotation?.[ca];
  if (!r) return [];
  return [r.phase === 'accept' ? r.next.crt : r.previous.crt];
}

/** What a client trusts for `ca` (a kubeconfig's certificate-authority-data, a talosconfig's ca): base64 of every accepted PEM. */
export function trustedCasB64(b: SecretsBundle, ca: RotatedCa): string {
  const rest = acceptedCas(b, ca);
  if (!rest.length) return b.certs[ca].crt;
  return toB64([b.certs[ca].crt, ...rest].map((c) => `${fromB64(c).trim()}\n`).join(''));
}

/**
 * What moving `ca` to `target` does from the bundle's phase: nothing (already there, or `drop` with no rotation
 * under way: done), a step, or a refusal with the reason and the phase that would be right.
 */
export function rotationStep(b: SecretsBundle, ca: RotatedCa, target: CaPhase | undefined): { step: 'none' | 'advance' } | { refused: string } {
  const now = caPhase(b, ca);
  if (target === undefined && now !== 'none')
    return { refused: `is not set, but the ${CA_TITLES[ca]} is in phase "${now}" of a rotation: keep "${now}" until the next phase, which is "${now === 'accept' ? 'switch' : 'drop'}"` };
  if (target === undefined || (now === 'none' && target === 'drop') || now === target) return { step: 'none' };
  const next = { none: 'accept', accept: 'switch', switch: 'drop' }[now];
  if (target === next) return { step: 'advance' };
  return { refused: `is "${target}", but the ${CA_TITLES[ca]} is ${now === 'none' ? 'not being rotated' : `in phase "${now}"`}: the next phase is "${next}" (phases go accept, switch, drop, one \`pulumi up\` each)` };
}

/** A new CA as generate.ts makes them (loaded lazily: it pulls in the x509 library). */
async function newCa(ca: RotatedCa, now: Date): Promise<{ crt: string; key: string }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { certificateAuthority } = require('./generate') as typeof import('./generate');
  const made = await certificateAuthority(CA_KINDS[ca].alg, CA_KINDS[ca].subject, now);
  return { crt: lineEnded(made.crt), key: toB64(made.key) };
}

/**
 * Base64 of the PEM with a final newline. Talos joins accepted CAs with no separator (RenderSecretsStaticPodController's
 * ca.crt, the kubelet's CA): without it the API server reads `-----END CERTIFICATE----------BEGIN…` as no certificate.
 */
function lineEnded(pem: string): string {
  return toB64(`${pem.trim()}\n`);
}

/** The bundle with `ca` moved to `target` (unchanged when there is nothing to do); throws on a refused move. */
export async function advanceCaRotation(b: SecretsBundle, ca: RotatedCa, target: CaPhase | undefined, now = new Date()): Promise<SecretsBundle> {
  const s = rotationStep(b, ca, target);
  if ('refused' in s) throw new Error(`${CA_KEYS[ca]} ${s.refused}`);
  if (s.step === 'none') return b;
  const r = b.caRotation?.[ca];
  const others = Object.fromEntries(Object.entries(b.caRotation ?? {}).filter(([k]) => k !== ca));
  const withRotation = (rec: NonNullable<SecretsBundle['caRotation']>[RotatedCa] | undefined, certs = b.certs): SecretsBundle => {
    const rotation = { ...others, ...(rec ? { [ca]: rec } : {}) };
    const { caRotation: _old, ...rest } = b;
    void _old;
    return { ...rest, certs, ...(Object.keys(rotation).length ? { caRotation: rotation } : {}) };
  };
  // the current CA's certificate gains the final newline too (the same certificate: Talos joins it with the new one)
  if (!r) return withRotation({ phase: 'accept', next: await newCa(ca, now) }, { ...b.certs, [ca]: { ...b.certs[ca], crt: lineEnded(fromB64(b.certs[ca].crt)) } });
  // the old CA's key goes with the switch: after it nothing is issued from the old CA again
  if (r.phase === 'accept') return withRotation({ phase: 'switch', previous: { crt: b.certs[ca].crt } }, { ...b.certs, [ca]: r.next });
  return withRotation(undefined);
}

/** Each CA's age from its notBefore, and where its rotation stands: for the posture report. */
export interface CaAge {
  ca: RotatedCa;
  title: string;
  notBefore: string;
  ageDays: number;
  phase: 'none' | 'accept' | 'switch';
}

export function caAges(b: SecretsBundle, now: Date): CaAge[] {
  return (['k8s', 'os'] as const).map((ca) => {
    const notBefore = new Date(new X509Certificate(fromB64(b.certs[ca].crt)).validFrom);
    return { ca, title: CA_TITLES[ca], notBefore: notBefore.toISOString().slice(0, 10), ageDays: Math.max(0, Math.floor((now.getTime() - notBefore.getTime()) / 86400_000)), phase: caPhase(b, ca) };
  });
}

/** The stack key's targets, by the bundle's names for the CAs. */
type Targets = Partial<Record<'kubernetes' | 'talos', CaPhase>>;

function refusals(b: SecretsBundle, targets: Targets | undefined): string[] {
  return (['k8s', 'os'] as const).flatMap((ca) => {
    const s = rotationStep(b, ca, targets?.[CA_KEYS[ca]]);
    return 'refused' in s ? [`bulwark:caRotation.${CA_KEYS[ca]} ${s.refused}`] : [];
  });
}

/** Whether `bulwark:caRotation` moves the bundle (components/secrets.ts diff); a move out of order throws, naming the key. */
export function rotationChanges(b: SecretsBundle, targets: Targets | undefined): boolean {
  const refused = refusals(b, targets);
  if (refused.length) throw new Error(refused.join('; '));
  return (['k8s', 'os'] as const).some((ca) => (rotationStep(b, ca, targets?.[CA_KEYS[ca]]) as { step: string }).step === 'advance');
}

/** The bundle moved to the stack key's phases (components/secrets.ts update). */
export async function applyCaRotation(b: SecretsBundle, targets: Targets | undefined, now = new Date()): Promise<SecretsBundle> {
  const refused = refusals(b, targets);
  if (refused.length) throw new Error(refused.join('; '));
  let out = b;
  for (const ca of ['k8s', 'os'] as const) out = await advanceCaRotation(out, ca, targets?.[CA_KEYS[ca]], now);
  return out;
}

/**
 * `bulwark render` takes a rotation from the secrets file (`bulwark rotate-ca`), not from the stack key, which
 * drives the bundle in Pulumi state: where the key asks for another phase than the file is in, it says so.
 */
export function caRotationMismatch(b: SecretsBundle, targets: Targets | undefined): string[] {
  return (['k8s', 'os'] as const).flatMap((ca) => {
    const target = targets?.[CA_KEYS[ca]];
    const s = rotationStep(b, ca, target);
    if (target === undefined || ('step' in s && s.step === 'none')) return [];
    return [`bulwark:caRotation.${CA_KEYS[ca]} is "${target}", but the secrets file's ${CA_TITLES[ca]} is ${caPhase(b, ca) === 'none' ? 'not being rotated' : `in phase "${caPhase(b, ca)}"`}; render takes the phase from the file (bulwark rotate-ca --ca ${CA_KEYS[ca]} --phase ${target}); the key moves the bundle in Pulumi state`];
  });
}
