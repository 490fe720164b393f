#!/usr/bin/env node
// Client side of the e2e OIDC IdP (CommonJS, so jest/ts-jest tests can require it directly).
//
// startIdpProcess(config)  spawns oidc-idp.mjs (the real, unmodified oidc-provider) and waits until it is ready.
// getIdToken(options)      obtains an ID token WITHOUT a browser: the ordinary OpenID Connect authorization-code
//   flow (PKCE S256, state, nonce) over HTTPS, acting as the user agent: GET /auth -> login form of upstream's
//   devInteractions (POST prompt=login, login=<user>) -> consent form (POST prompt=consent) -> redirect to
//   redirect_uri?code=... (not followed) -> POST /token with the client's credentials. The ID token's `aud` is
//   the client_id used, so a "wrong audience" token is one requested with another registered client.
//
// TypeScript (ts-jest, CommonJS):
//   import { startIdpProcess, getIdToken } from '../../e2e/tools/idp/client.cjs';   // types: client.d.cts
//   const idp = await startIdpProcess({ tls: { cert, key }, users: { alice: { email: 'alice@example.com',
//                                       email_verified: true, groups: ['team-a'] } } });
//   const { id_token, claims } = await getIdToken({ issuer: idp.info.issuer, ca: caPemOrPath,
//                                    clientId: 'kubernetes', clientSecret: 'bulwark-e2e-secret', login: 'alice' });
//   await idp.stop();
// CLI: node client.cjs --issuer https://127.0.0.1:PORT --ca ca.crt --client-id kubernetes \
//        --client-secret bulwark-e2e-secret --login alice [--scope "openid email groups"] [--json]
//      prints the raw ID token (or, with --json, {id_token, access_token, header, claims}).
'use strict';

const { request: httpsRequest } = require('node:https');
const { readFileSync } = require('node:fs');
const { createHash, randomBytes } = require('node:crypto');
const { spawn } = require('node:child_process');
const path = require('node:path');

const DEFAULT_REDIRECT_URI = 'https://127.0.0.1/bulwark-e2e/callback';
const DEFAULT_SCOPE = 'openid email profile groups';

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function decodeJwt(jwt) {
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
async function getIdToken({
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

const IDP_LAUNCHER = path.join(__dirname, 'oidc-idp.mjs');

/**
 * Start the IdP (oidc-idp.mjs) as a child process and wait for its "ready" line.
 * Works from CommonJS/jest; the IdP itself is ESM and runs in its own Node process.
 */
function startIdpProcess(config, { timeoutMs = 30000, env = {}, node = process.execPath } = {}) {
  return new Promise((resolveStart, rejectStart) => {
    const child = spawn(node, [IDP_LAUNCHER], {
      env: { ...process.env, ...env, BULWARK_IDP_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let errText = '';
    let settled = false;
    const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    const fail = (why) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      rejectStart(new Error(`IdP did not start: ${why}\n${errText.slice(-2000)}`));
    };
    const timer = setTimeout(() => fail(`no ready line after ${timeoutMs} ms`), timeoutMs);
    child.stderr.on('data', (d) => { errText += d; });
    child.once('error', (e) => fail(e.message));
    child.once('exit', (code, signal) => fail(`exited (code ${code}, signal ${signal})`));
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl < 0 || settled) return;
      let info;
      try { info = JSON.parse(out.slice(0, nl)); } catch (e) { fail(`bad ready line: ${out.slice(0, nl)}`); return; }
      settled = true;
      clearTimeout(timer);
      resolveStart({
        info,
        process: child,
        stderr: () => errText,
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(t);
        },
      });
    });
  });
}

module.exports = { getIdToken, decodeJwt, startIdpProcess, DEFAULT_REDIRECT_URI, DEFAULT_SCOPE, IDP_LAUNCHER };

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

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`[e2e-idp] get-token failed: ${err?.message ?? err}\n`);
    process.exit(1);
  });
}
