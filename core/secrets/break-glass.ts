/**
 * Mints a break-glass certificate for one person (rules and meaning: core/auth/break-glass.ts).
 * A fresh key each time (nothing here needs to be reproducible: it is an event, not config),
 * a random serial, valid from a minute before `now` (clock skew) for `lifetime`.
 */
import 'reflect-metadata';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { BREAK_GLASS_GROUP, BREAK_GLASS_REASON_PREFIX, BREAK_GLASS_USER_PREFIX, durationMs } from '../auth/break-glass';
import type { SecretsBundle } from './bundle';
import { issueKubeClient } from './kube-client';

export interface BreakGlassCredential {
  crt: string;
  key: string;
  user: string;
  groups: string[];
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

export async function mintBreakGlass(bundle: SecretsBundle, p: { person: string; reason: string; lifetime: string; now: Date }): Promise<BreakGlassCredential> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serial = randomBytes(16);
  serial[0] &= 0x7f; // positive
  const user = `${BREAK_GLASS_USER_PREFIX}${p.person}`;
  const groups = ['system:masters', BREAK_GLASS_GROUP, `${BREAK_GLASS_REASON_PREFIX}${p.reason}`];
  const notBefore = new Date(p.now.getTime() - 60_000);
  const notAfter = new Date(p.now.getTime() + durationMs(p.lifetime));
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // JSON names, not a DN string: a reason's commas and quotes need no escaping.
  const wanted = [{ CN: [user] }, ...groups.map((g) => ({ O: [g] }))];
  const subject = new x509.Name(wanted);
  const cert = await issueKubeClient(bundle, {
    subject,
    publicKey: spki.buffer.slice(spki.byteOffset, spki.byteOffset + spki.byteLength) as ArrayBuffer,
    serialNumber: serial.toString('hex'),
    notBefore,
    notAfter,
  });
  // The subject as the API server will read it: refuse a certificate that would name anyone else.
  const got = cert.subjectName.toJSON();
  if (JSON.stringify(got) !== JSON.stringify(wanted)) throw new Error(`break-glass subject came out as ${JSON.stringify(got)}, not ${JSON.stringify(wanted)}`);
  return { crt: cert.toString('pem'), key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, user, groups, serial: serial.toString('hex'), notBefore, notAfter };
}
