// Types for get-token.mjs (the e2e IdP token helper).
export declare const DEFAULT_REDIRECT_URI: string;
export declare const DEFAULT_SCOPE: string;

export interface GetIdTokenOptions {
  /** Issuer URL printed by oidc-idp.mjs, e.g. https://127.0.0.1:PORT */
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
  /** CA that signed the IdP's serving certificate: a PEM path or PEM text. */
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
