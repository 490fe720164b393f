#!/usr/bin/env node
// Obtain an OIDC ID token from the e2e IdP (oidc-idp.mjs) WITHOUT a browser.
//
// It performs the ordinary OpenID Connect authorization-code flow (with PKCE, state and nonce) over HTTPS,
// acting as the user-agent: GET /auth -> login form of upstream's devInteractions (POST prompt=login,
// login=<user>) -> consent form (POST prompt=consent) -> redirect to redirect_uri?code=... (not followed)
// -> POST /token with the client's credentials. The ID token's `aud` is the client_id that is used, so a
// "wrong audience" token is simply one requested with another registered client.
//
// Library:  import { getIdToken } from './get-token.mjs';
//           const { id_token, claims } = await getIdToken({ issuer, ca, clientId: 'kubernetes',
//                                                           clientSecret: 'bulwark-e2e-secret', login: 'alice' });
// CLI:      node get-token.mjs --issuer https://127.0.0.1:PORT --ca ca.crt --client-id kubernetes \
//                 --client-secret bulwark-e2e-secret --login alice [--scope "openid email groups"] [--json]
//           prints the raw ID token (or, with --json, {id_token, access_token, header, claims}).
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_REDIRECT_URI = 'https://127.0.0.1/bulwark-e2e/callback';
export const DEFAULT_SCOPE = 'openid email profile groups';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

export function decodeJwt(jwt) {
  const [h, p] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
  };
}

// Minimal cookie jar: honours Path (prefix match) and replaces by name+path; enough for one origin.
class CookieJar {
  constructor() { this.cookies = new Map(); }

  store(setCookie = []) {
    for (const line of [].concat(setCookie)) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        if (k.toLowerCase() === 'path') path = v || '/';
        if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      const key = `${name}\u0000${path}`;
      if (expired || value === '') this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  header(pathname) {
    return [...this.cookies.values()]
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

function send(url, { method = 'GET', headers = {}, body, ca, insecure, jar } = {}) {
  const u = new URL(url);
  const h = { ...headers };
  if (jar) {
    const c = jar.header(u.pathname);
    if (c) h.cookie = c;
  }
  if (body !== undefined) h['content-length'] = Buffer.byteLength(body);
  return new Promise((res, rej) => {
    const req = httpsRequest(u, { method, headers: h, ca, rejectUnauthorized: !insecure }, (r) => {
      const chunks = [];
      r.on('data', (d) => chunks.push(d));
      r.on('end', () => {
        if (jar) jar.store(r.headers['set-cookie']);
        res({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', rej);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function formAction(html, base) {
  const m = html.match(/<form[^>]*action="([^"]+)"/);
  if (!m) throw new Error(`IdP page has no form: ${html.slice(0, 300)}`);
  return new URL(m[1].replace(/&amp;/g, '&'), base).href;
}

/**
 * @returns {Promise<{id_token: string, access_token?: string, header: object, claims: object, token_response: object}>}
 */
export async function getIdToken({
  issuer,
  clientId,
  clientSecret,
  login,
  password = 'any',
  scope = DEFAULT_SCOPE,
  redirectUri = DEFAULT_REDIRECT_URI,
  ca,
  insecure = false,
  maxSteps = 12,
}) {
  if (!issuer || !clientId || !login) throw new Error('getIdToken needs issuer, clientId and login');
  const caPem = ca && !String(ca).includes('-----BEGIN') ? readFileSync(ca) : ca;
  const opts = { ca: caPem, insecure };
  const disco = await send(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, opts);
  if (disco.status !== 200) throw new Error(`discovery failed: HTTP ${disco.status} ${disco.body}`);
  const meta = JSON.parse(disco.body);

  const jar = new CookieJar();
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const auth = new URL(meta.authorization_endpoint);
  auth.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope,
    redirect_uri: redirectUri,
    state,
    nonce,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  }).toString();

  let next = { url: auth.href, method: 'GET' };
  let code;
  for (let step = 0; step < maxSteps && !code; step += 1) {
    const r = await send(next.url, { ...opts, jar, method: next.method, body: next.body, headers: next.headers });
    if (r.status >= 300 && r.status < 400 && r.headers.location) {
      const loc = new URL(r.headers.location, next.url);
      if (loc.href.startsWith(redirectUri)) {
        const p = loc.searchParams;
        if (p.get('error')) throw new Error(`authorization error: ${p.get('error')}: ${p.get('error_description') ?? ''}`);
        if (p.get('state') !== state) throw new Error('state mismatch');
        code = p.get('code');
        break;
      }
      next = { url: loc.href, method: 'GET' };
      continue;
    }
    if (r.status === 200 && /name="prompt" value="login"/.test(r.body)) {
      next = {
        url: formAction(r.body, next.url),
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ prompt: 'login', login, password }).toString(),
      };
      continue;
    }
    if (r.status === 200 && /name="prompt" value="consent"/.test(r.body)) {
      next = {
        url: formAction(r.body, next.url),
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'prompt=consent',
      };
      continue;
    }
    const text = r.body.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 400);
    const hint = r.status === 500 ? ` (is user "${login}" defined in the IdP config? see the IdP's stderr)` : '';
    throw new Error(`unexpected IdP response at ${next.url}: HTTP ${r.status}${hint}: ${text}`);
  }
  if (!code) throw new Error(`no authorization code after ${maxSteps} steps (is user "${login}" defined in the IdP config?)`);

  const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const form = { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier };
  if (clientSecret) {
    const enc = (s) => encodeURIComponent(s);
    headers.authorization = `Basic ${Buffer.from(`${enc(clientId)}:${enc(clientSecret)}`).toString('base64')}`;
  } else {
    form.client_id = clientId;
  }
  const t = await send(meta.token_endpoint, { ...opts, method: 'POST', headers, body: new URLSearchParams(form).toString() });
  if (t.status !== 200) throw new Error(`token endpoint: HTTP ${t.status} ${t.body}`);
  const tokens = JSON.parse(t.body);
  if (!tokens.id_token) throw new Error(`no id_token in token response: ${t.body}`);
  const { header, claims } = decodeJwt(tokens.id_token);
  if (claims.nonce !== nonce) throw new Error('nonce mismatch');
  return { id_token: tokens.id_token, access_token: tokens.access_token, header, claims, token_response: tokens };
}

async function main(argv) {
  const o = {};
  let json = false;
  const map = {
    '--issuer': 'issuer', '--client-id': 'clientId', '--client-secret': 'clientSecret', '--login': 'login',
    '--scope': 'scope', '--ca': 'ca', '--redirect-uri': 'redirectUri', '--password': 'password',
  };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--json') json = true;
    else if (argv[i] === '--insecure') o.insecure = true;
    else if (map[argv[i]]) o[map[argv[i]]] = argv[++i];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  const r = await getIdToken(o);
  process.stdout.write(json
    ? `${JSON.stringify({ id_token: r.id_token, access_token: r.access_token, header: r.header, claims: r.claims }, null, 2)}\n`
    : `${r.id_token}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`[e2e-idp] get-token failed: ${err?.message ?? err}\n`);
    process.exit(1);
  });
}
