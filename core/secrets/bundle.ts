/**
 * Cluster secrets in the layout of Talos's secrets bundle (`talosctl gen secrets`):
 * CAs as base64 of PEM, tokens, the secretbox key. One extra key, `clients`, holds a Talos
 * API admin client certificate, so that rendering a talosconfig from a bundle needs no clock
 * and no randomness. The one issued at generation lasts a year; the program and the render
 * CLI render with this quarter's instead (admin-client.ts).
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { z } from 'zod';

const b64 = z.string().regex(/^[A-Za-z0-9+/]+=*$/, { error: 'is not base64' });
const pair = z.strictObject({ crt: b64, key: b64 });

export const secretsBundleSchema = z.strictObject({
  cluster: z.strictObject({ id: z.string().min(40), secret: z.string().min(40) }),
  secrets: z.strictObject({
    bootstraptoken: z.string().regex(/^[a-z0-9]{6}\.[a-z0-9]{16}$/, { error: 'is not a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})' }),
    secretboxencryptionsecret: b64,
  }),
  trustdinfo: z.strictObject({ token: z.string().regex(/^[a-z0-9]{6}\.[a-z0-9]{16}$/, { error: 'is not a trustd token' }) }),
  certs: z.strictObject({
    etcd: pair,
    k8s: pair,
    k8saggregator: pair,
    k8sserviceaccount: z.strictObject({ key: b64 }),
    os: pair,
  }),
  clients: z.strictObject({ talosAdmin: pair }),
  /**
   * Encryption-at-rest keys during a rotation, active first. Absent means the single key Talos
   * itself uses: secretbox `key2` = secrets.secretboxencryptionsecret.
   */
  encryption: z
    .strictObject({ keys: z.array(z.strictObject({ name: z.string().regex(/^key\d+$/), secret: b64 })).min(1) })
    .optional(),
  /**
   * CA rotations under way (core/secrets/ca-rotation.ts), per CA of `certs`: `accept` holds the new CA (it issues
   * nothing yet; nodes accept it beside `certs.<ca>`), `switch` the old CA's certificate (`certs.<ca>` is the new
   * one and issues; nodes still accept the old). Absent: no rotation under way.
   */
  caRotation: z
    .strictObject({
      k8s: z.union([z.strictObject({ phase: z.literal('accept'), next: pair }), z.strictObject({ phase: z.literal('switch'), previous: z.strictObject({ crt: b64 }) })]).optional(),
      os: z.union([z.strictObject({ phase: z.literal('accept'), next: pair }), z.strictObject({ phase: z.literal('switch'), previous: z.strictObject({ crt: b64 }) })]).optional(),
    })
    .optional(),
});

export type SecretsBundle = z.infer<typeof secretsBundleSchema>;

export const fromB64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
export const toB64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/**
 * Parses and checks a bundle: every certificate must parse and match its key. Problems are
 * returned with their key paths (never their values).
 */
export function checkSecrets(raw: unknown): { bundle?: SecretsBundle; problems: { path: string; message: string }[] } {
  const parsed = secretsBundleSchema.safeParse(raw);
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) };
  const problems: { path: string; message: string }[] = [];
  const pairs: [string, { crt: string; key: string }][] = [
    ['certs.etcd', parsed.data.certs.etcd], ['certs.k8s', parsed.data.certs.k8s], ['certs.k8saggregator', parsed.data.certs.k8saggregator],
    ['certs.os', parsed.data.certs.os], ['clients.talosAdmin', parsed.data.clients.talosAdmin],
  ];
  for (const ca of ['k8s', 'os'] as const) {
    const r = parsed.data.caRotation?.[ca];
    if (r?.phase === 'accept') pairs.push([`caRotation.${ca}.next`, r.next]);
  }
  for (const [path, p] of pairs) {
    try {
      const cert = new X509Certificate(fromB64(p.crt));
      const key = createPrivateKey(normalizePem(fromB64(p.key)));
      if (!cert.checkPrivateKey(key)) problems.push({ path: `${path}.key`, message: 'does not belong to the certificate beside it' });
    } catch (e) {
      problems.push({ path, message: `does not hold a PEM certificate and private key (${(e as Error).message})` });
    }
  }
  for (const ca of ['k8s', 'os'] as const) {
    const r = parsed.data.caRotation?.[ca];
    if (r?.phase !== 'switch') continue;
    try {
      new X509Certificate(fromB64(r.previous.crt));
    } catch (e) {
      problems.push({ path: `caRotation.${ca}.previous.crt`, message: `does not hold a PEM certificate (${(e as Error).message})` });
    }
  }
  try {
    createPrivateKey(fromB64(parsed.data.certs.k8sserviceaccount.key));
  } catch {
    problems.push({ path: 'certs.k8sserviceaccount.key', message: 'is not a PEM private key' });
  }
  return problems.length ? { problems } : { bundle: parsed.data, problems };
}

/** Talos writes Ed25519 keys as "ED25519 PRIVATE KEY" around PKCS#8; OpenSSL knows them as "PRIVATE KEY". */
export function normalizePem(pem: string): string {
  return pem.replace(/-----(BEGIN|END) ED25519 PRIVATE KEY-----/g, '-----$1 PRIVATE KEY-----');
}

export const TALOS_SECRETBOX_KEY_NAME = 'key2';

/** The secretbox keys to configure, active first. */
export function encryptionKeys(b: SecretsBundle): { name: string; secret: string }[] {
  return b.encryption?.keys ?? [{ name: TALOS_SECRETBOX_KEY_NAME, secret: b.secrets.secretboxencryptionsecret }];
}
