// Types for oidc-idp.mjs (the e2e OIDC IdP launcher), for in-process use from tests.
import type { Server } from 'node:https';

export interface IdpClient {
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
  tls: { cert: string; key: string };
  issuer?: string;
  clients?: IdpClient[];
  /** key = login name = sub; values are released as ID token claims (email, email_verified, groups, ...) */
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

export declare const DEFAULT_REDIRECT_URI: string;
export declare function loadOidcProvider(): Promise<{ Provider: unknown; entry: string; version: string }>;
export declare function startIdp(config: IdpConfig): Promise<{ server: Server; provider: unknown; info: IdpInfo; close(): Promise<void> }>;
