// Types for client.cjs (the e2e IdP client: start the IdP process, obtain ID tokens).
import type { ChildProcess } from 'node:child_process';

export declare const DEFAULT_REDIRECT_URI: string;
export declare const DEFAULT_SCOPE: string;
/** Absolute path of oidc-idp.mjs */
export declare const IDP_LAUNCHER: string;

export interface IdpClientConfig {
  client_id: string;
  client_secret?: string;
  /** "RS256" (default) or "ES256" */
  id_token_signed_response_alg?: string;
  [metadata: string]: unknown;
}

export interface IdpConfig {
  host?: string;
  /** 0 (default) picks a free port */
  port?: number;
  /** PEM file paths; the certificate must be valid for `host` (IP SAN 127.0.0.1) */
  tls: { cert: string; key: string };
  issuer?: string;
  clients?: IdpClientConfig[];
  /** key = login name = sub; the values are the user's claims (email, email_verified, groups, ...) */
  users?: Record<string, Record<string, unknown>>;
  idTokenTTL?: number;
  jwksFile?: string;
  readyFile?: string;
}

export interface IdpInfo {
  event: 'ready';
  issuer: string;
  port: number;
  discovery: string;
  jwks_uri: string;
  clients: { client_id: string; alg: string }[];
  users: string[];
  redirect_uri: string;
  oidcProviderVersion: string;
  pid: number;
}

export interface IdpProcess {
  info: IdpInfo;
  process: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

export declare function startIdpProcess(
  config: IdpConfig,
  options?: { timeoutMs?: number; env?: Record<string, string>; node?: string },
): Promise<IdpProcess>;

export interface GetIdTokenOptions {
  /** Issuer URL from IdpInfo, e.g. https://127.0.0.1:PORT */
  issuer: string;
  /** Registered client; becomes the ID token's `aud`. */
  clientId: string;
  /** Omit for public clients (token_endpoint_auth_method "none"). */
  clientSecret?: string;
  /** User key from the IdP config; becomes `sub`. */
  login: string;
  password?: string;
  /** Default "openid email profile groups". */
  scope?: string;
  redirectUri?: string;
  /** CA that signed the IdP's serving certificate: a PEM path, PEM text or Buffer. */
  ca?: string | Buffer;
  /** Skip TLS verification (avoid; prefer `ca`). */
  insecure?: boolean;
  maxSteps?: number;
}

export interface IdTokenResult {
  id_token: string;
  access_token?: string;
  header: { alg: string; kid?: string; [k: string]: unknown };
  claims: { iss: string; sub: string; aud: string | string[]; exp: number; iat: number; [k: string]: unknown };
  token_response: Record<string, unknown>;
}

export declare function getIdToken(options: GetIdTokenOptions): Promise<IdTokenResult>;
export declare function decodeJwt(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown> };
