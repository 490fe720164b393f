/**
 * Encryption-at-rest key rotation, in two deliberate steps (docs/encryption-at-rest.md):
 * `begin` puts a new secretbox key first (new writes use it, old keys still decrypt);
 * after every Secret (and ConfigMap) has been rewritten, `finish` retires the old keys.
 */
import { randomBytes } from 'node:crypto';
import { SecretsBundle, encryptionKeys } from './bundle';

export function beginRotation(b: SecretsBundle, random: (n: number) => Buffer = randomBytes): SecretsBundle {
  const keys = encryptionKeys(b);
  if (keys.length > 1) throw new Error(`a rotation is already under way (keys ${keys.map((k) => k.name).join(', ')}); finish it first`);
  const next = Math.max(...keys.map((k) => Number(k.name.slice(3)))) + 1;
  return { ...b, encryption: { keys: [{ name: `key${next}`, secret: random(32).toString('base64') }, ...keys] } };
}

export function finishRotation(b: SecretsBundle): SecretsBundle {
  const keys = encryptionKeys(b);
  if (keys.length < 2) throw new Error('no rotation is under way: there is only one encryption key');
  return { ...b, encryption: { keys: [keys[0]] } };
}
