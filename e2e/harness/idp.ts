/**
 * The local OIDC IdP (upstream oidc-provider via e2e/tools/idp) with one client per example stack
 * (its clientId) plus "some-other-app", and per stack: one user per tenant (the tenant's groups), a
 * platform admin, a user whose groups claim says "system:masters", and one with email_verified false.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import { IdpProcess, getIdToken, startIdpProcess } from '../tools/idp/client.cjs';
import { Pem, issue, selfSignedCa } from './pki';
import { stackFacts } from './stack';

export const CLIENT_SECRET = 'bulwark-e2e-secret';
export const OTHER_CLIENT = 'some-other-app';

export const login = {
  tenant: (stack: string, tenant: string) => `${stack}-${tenant}`,
  admin: (stack: string) => `${stack}-admin`,
  masters: (stack: string) => `${stack}-masters`,
  unverified: (stack: string) => `${stack}-unverified`,
  boolean: (stack: string) => `${stack}-boolean`,
};
export const emailOf = (loginName: string) => `${loginName}@example.com`;

export interface Idp {
  issuer: string;
  caPem: string;
  token(loginName: string, clientId: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startIdps(dir: string, stacks: string[]): Promise<{ idp: Idp; rogue: Idp }> {
  mkdirSync(dir, { recursive: true });
  const ca = await selfSignedCa('CN=bulwark-e2e-idp-ca');
  const serving: Pem = await issue(ca, { subject: 'CN=bulwark-e2e-idp', server: true, dns: ['localhost'], ips: ['127.0.0.1'] });
  writeFileSync(join(dir, 'idp.crt'), serving.crt);
  writeFileSync(join(dir, 'idp.key'), serving.key, { mode: 0o600 });

  const clients = [OTHER_CLIENT, ...stacks.map((s) => stackFacts(s).oidc.clientId)].map((client_id) => ({ client_id, client_secret: CLIENT_SECRET }));
  const users: Record<string, Record<string, unknown>> = {};
  // email_verified is a JSON boolean, as OIDC Core specifies (kube-apiserver itself refuses a string there
  // when the username claim is email).
  const user = (l: string, groups: string[], verified = true) => { users[l] = { email: emailOf(l), email_verified: verified, groups, name: l }; };
  for (const s of stacks) {
    const f = stackFacts(s);
    for (const t of f.tenants) user(login.tenant(s, t.name), t.groups);
    user(login.admin(s), f.oidc.platformAdminGroups);
    user(login.masters(s), ['system:masters']);
    user(login.unverified(s), f.tenants[0]?.groups ?? [], false);
    user(login.boolean(s), f.tenants[0]?.groups ?? [], true);
  }
  const startOne = async (name: string): Promise<Idp> => {
    const p: IdpProcess = await startIdpProcess({ tls: { cert: join(dir, 'idp.crt'), key: join(dir, 'idp.key') }, clients, users, readyFile: join(dir, `${name}.ready.json`) }, { timeoutMs: 60_000 });
    const cache = new Map<string, string>();
    return {
      issuer: p.info.issuer,
      caPem: ca.crt,
      async token(l, clientId) {
        const k = `${l}|${clientId}`;
        let t = cache.get(k);
        if (!t) {
          t = (await getIdToken({ issuer: p.info.issuer, ca: ca.crt, clientId, clientSecret: CLIENT_SECRET, login: l })).id_token;
          cache.set(k, t);
        }
        return t;
      },
      stop: () => p.stop(),
    };
  };
  const idp = await startOne('idp');
  try {
    return { idp, rogue: await startOne('rogue') };
  } catch (e) {
    await idp.stop();
    throw e;
  }
}
