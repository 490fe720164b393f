#!/usr/bin/env node
// Bulwark e2e OIDC identity provider launcher.
//
// Starts the real, unmodified upstream `oidc-provider` (panva, OpenID Certified) over HTTPS on loopback,
// configured for tests: static clients (client_id == ID token audience), static users with chosen claims
// (sub, email, email_verified, groups, ...), RS256 and ES256 signing keys, and upstream's built-in
// "devInteractions" login/consent pages, which `client.cjs` (getIdToken) drives over plain HTTP (no browser).
//
// Nothing in here implements OIDC: it only configures the upstream Provider and mounts it on an HTTPS server.
//
// Usage:
//   node e2e/tools/idp/oidc-idp.mjs --config idp.json     (or BULWARK_IDP_CONFIG='{"...": ...}' as inline JSON)
// When ready it prints ONE JSON line on stdout:
//   {"event":"ready","issuer":"https://127.0.0.1:PORT","port":PORT,"discovery":"...","jwks_uri":"...","pid":N}
// and, if config.readyFile is set, writes the same JSON there. Stop it with SIGTERM/SIGINT.
//
// Config (all optional except tls):
// {
//   "host": "127.0.0.1", "port": 0,                        // 0 = pick a free port
//   "tls": { "cert": "/path/idp.crt", "key": "/path/idp.key" },   // PEM; cert must be valid for host
//   "clients": [ { "client_id": "kubernetes", "client_secret": "s3cret",
//                  "id_token_signed_response_alg": "RS256" } ],     // or "ES256"
//   "users": { "alice": { "email": "alice@example.com", "email_verified": true, "groups": ["team-a"] } },
//   "idTokenTTL": 3600,
//   "jwksFile": "/path/keys.json",   // private JWKS to reuse across restarts (created if missing)
//   "readyFile": "/path/ready.json"
// }
// A user's key is both its login name and its `sub` (oidc-provider requires the session account id, i.e. the
// login, to equal the subject). Any other claim a user has ("preferred_username", "name", custom ones) is
// released in the ID token too. Unknown logins make the authorization fail (HTTP 500 "server_error").
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:https';
import { createRequire } from 'node:module';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { join, dirname, resolve } from 'node:path';
import { homedir } from 'node:os';
import { pathToFileURL, fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function log(msg) {
  process.stderr.write(`[e2e-idp] ${msg}\n`);
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (a === '--config') out.config = argv[++i];
    else if (a.startsWith('--config=')) out.config = a.slice('--config='.length);
    else if (a === '--help' || a === '-h') out.help = true;
    else throw new Error(`unknown argument: ${a}`);
  }
  return out;
}

function cacheDir() {
  if (process.env.BULWARK_E2E_CACHE) return process.env.BULWARK_E2E_CACHE;
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, 'bulwark-e2e');
}

// Locate the pinned oidc-provider: explicit env, then the e2e tools cache (npm run e2e:tools),
// then a regular node_modules resolution from the repository.
export async function loadOidcProvider() {
  const candidates = [];
  if (process.env.BULWARK_OIDC_PROVIDER_DIR) candidates.push(process.env.BULWARK_OIDC_PROVIDER_DIR);
  const manifestPath = join(cacheDir(), 'manifest.json');
  if (existsSync(manifestPath)) {
    try {
      const m = JSON.parse(readFileSync(manifestPath, 'utf8'));
      if (m.tools?.['oidc-provider']?.nodeModulesRoot) candidates.push(m.tools['oidc-provider'].nodeModulesRoot);
    } catch { /* ignore a broken manifest, fall through */ }
  }
  candidates.push(here);
  for (const base of candidates) {
    try {
      const req = createRequire(join(resolve(base), 'package.json'));
      const entry = req.resolve('oidc-provider');
      const version = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')).version;
      const mod = await import(pathToFileURL(entry).href);
      return { Provider: mod.default ?? mod.Provider, entry, version };
    } catch { /* try next */ }
  }
  throw new Error('oidc-provider not found: run `npm run e2e:tools` (installs it into the e2e cache) '
    + 'or set BULWARK_OIDC_PROVIDER_DIR to a folder whose node_modules contains oidc-provider');
}

function makeKeys(jwksFile) {
  if (jwksFile && existsSync(jwksFile)) return JSON.parse(readFileSync(jwksFile, 'utf8'));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const jwks = {
    keys: [
      { ...rsa, kid: `rsa-${randomUUID().slice(0, 8)}`, alg: 'RS256', use: 'sig' },
      { ...ec, kid: `ec-${randomUUID().slice(0, 8)}`, alg: 'ES256', use: 'sig' },
    ],
  };
  if (jwksFile) writeFileSync(jwksFile, JSON.stringify(jwks), { mode: 0o600 });
  return jwks;
}

const DEFAULT_CLIENTS = [
  { client_id: 'kubernetes', client_secret: 'bulwark-e2e-secret' },
  { client_id: 'kubernetes-es256', client_secret: 'bulwark-e2e-secret', id_token_signed_response_alg: 'ES256' },
  { client_id: 'some-other-app', client_secret: 'bulwark-e2e-secret' },
];
const DEFAULT_USERS = {
  alice: { email: 'alice@example.com', email_verified: true, groups: ['team-a'] },
  bob: { email: 'bob@example.com', email_verified: true, groups: ['team-b'] },
  mallory: { email: 'mallory@example.com', email_verified: false, groups: [] },
};
// Same redirect URI for every client; client.cjs stops at the redirect and never fetches it.
export const DEFAULT_REDIRECT_URI = 'https://127.0.0.1/bulwark-e2e/callback';

export async function startIdp(config) {
  const { Provider, version } = await loadOidcProvider();
  if (!config.tls?.cert || !config.tls?.key) throw new Error('config.tls.cert and config.tls.key (PEM paths) are required');
  const host = config.host ?? '127.0.0.1';
  const users = config.users ?? DEFAULT_USERS;
  const clients = (config.clients ?? DEFAULT_CLIENTS).map((c) => ({
    redirect_uris: [DEFAULT_REDIRECT_URI],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: c.client_secret ? 'client_secret_basic' : 'none',
    ...c,
  }));

  for (const [login, u] of Object.entries(users)) {
    if (u.sub !== undefined && u.sub !== login) throw new Error(`user "${login}": the key is the sub; drop "sub" or make it equal`);
  }
  const standard = {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'given_name', 'family_name'],
    groups: ['groups'],
  };
  const known = new Set(Object.values(standard).flat());
  const extra = [...new Set(Object.values(users).flatMap((u) => Object.keys(u)))].filter((k) => !known.has(k));
  const claims = { ...standard, openid: ['sub', ...extra] };

  const server = createServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) });
  await new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(config.port ?? 0, host, res);
  });
  const { port } = server.address();
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const issuer = config.issuer ?? `https://${hostPart}:${port}`;

  const provider = new Provider(issuer, {
    clients,
    jwks: makeKeys(config.jwksFile),
    claims,
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    conformIdTokenClaims: false, // release scope claims (email, groups, ...) in the ID token itself
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: { devInteractions: { enabled: true } },
    ttl: {
      IdToken: config.idTokenTTL ?? 3600,
      AccessToken: 3600,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    async findAccount(ctx, id) {
      if (!Object.hasOwn(users, id)) {
        log(`unknown login "${id}" (known: ${Object.keys(users).join(', ')})`);
        return undefined;
      }
      const { sub: _ignored, ...rest } = users[id];
      return { accountId: id, async claims() { return { sub: id, ...rest }; } };
    },
  });
  provider.on('server_error', (ctx, err) => log(`server_error: ${err?.stack ?? err}`));
  server.on('request', provider.callback());

  const info = {
    event: 'ready',
    issuer,
    port,
    discovery: `${issuer}/.well-known/openid-configuration`,
    jwks_uri: `${issuer}/jwks`,
    clients: clients.map((c) => ({ client_id: c.client_id, alg: c.id_token_signed_response_alg ?? 'RS256' })),
    users: Object.keys(users),
    redirect_uri: DEFAULT_REDIRECT_URI,
    oidcProviderVersion: version,
    pid: process.pid,
  };
  return { server, provider, info, close: () => new Promise((r) => server.close(r)) };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write('usage: oidc-idp.mjs --config idp.json  (or BULWARK_IDP_CONFIG=<inline JSON>)\n');
    return;
  }
  let config;
  if (args.config) config = JSON.parse(readFileSync(args.config, 'utf8'));
  else if (process.env.BULWARK_IDP_CONFIG) config = JSON.parse(process.env.BULWARK_IDP_CONFIG);
  else throw new Error('missing --config <file> (or BULWARK_IDP_CONFIG)');
  const { info, server } = await startIdp(config);
  const line = JSON.stringify(info);
  if (config.readyFile) writeFileSync(config.readyFile, `${line}\n`);
  process.stdout.write(`${line}\n`);
  log(`oidc-provider ${info.oidcProviderVersion} listening, issuer ${info.issuer}`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    log(`failed: ${err?.stack ?? err}`);
    process.exit(1);
  });
}
