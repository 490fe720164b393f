/**
 * The API server's structured AuthenticationConfiguration (apiserver.config.k8s.io/v1) built
 * from the stack's `oidc` block. Always: prefixes on usernames and groups, userValidationRules
 * rejecting any identity in the reserved `system:` space, required claims as CEL rules, and
 * anonymous access only for the health endpoints.
 */
import type { IssuerConfig, OidcConfig } from '../config/schema';

export const HEALTH_PATHS = ['/livez', '/readyz', '/healthz'];

export const SYSTEM_PREFIX_RULES = [
  { expression: "!user.username.startsWith('system:')", message: 'username must not use the reserved system: prefix' },
  { expression: "user.groups.all(g, !g.startsWith('system:'))", message: 'groups must not use the reserved system: prefix' },
];

function requiredClaimRule(claim: string, value: string) {
  // A CEL rule rather than `claim`/`requiredValue`: requiredValue only matches string claims,
  // and claims such as email_verified are JSON booleans in most identity providers. "true" and
  // "false" compare as booleans, anything else as a string. The optional index makes an absent
  // claim fail the rule; `"k" in claims && claims["k"] == true` does not work — the API server's
  // claims map holds `any` values, and that form fails with "no such overload" (found by the
  // end-to-end suite against a real kube-apiserver).
  const want = value === 'true' || value === 'false' ? value : JSON.stringify(value);
  return {
    expression: `claims[?${JSON.stringify(claim)}].hasValue() && claims[?${JSON.stringify(claim)}].value() == ${want}`,
    message: `claim ${claim} must be ${value}`,
  };
}

export function jwtAuthenticator(iss: IssuerConfig): Record<string, unknown> {
  const issuer: Record<string, unknown> = { url: iss.url };
  if (iss.discoveryURL) issuer.discoveryURL = iss.discoveryURL;
  if (iss.certificateAuthority) issuer.certificateAuthority = iss.certificateAuthority;
  issuer.audiences = [...iss.audiences];
  if (iss.audiences.length > 1) issuer.audienceMatchPolicy = 'MatchAny';
  const claimMappings: Record<string, unknown> = { username: { claim: iss.claims.username.claim, prefix: iss.claims.username.prefix ?? '' } };
  if (iss.claims.groups) claimMappings.groups = { claim: iss.claims.groups.claim, prefix: iss.claims.groups.prefix ?? '' };
  const claimValidationRules = [
    ...Object.keys(iss.requiredClaims).sort().map((c) => requiredClaimRule(c, iss.requiredClaims[c])),
    ...iss.claimValidationRules.map((r) => ({ expression: r.expression, message: r.message })),
  ];
  return {
    issuer,
    ...(claimValidationRules.length ? { claimValidationRules } : {}),
    claimMappings,
    userValidationRules: SYSTEM_PREFIX_RULES,
  };
}

/** The body Talos 1.14 takes in KubeAuthenticationConfig (no apiVersion/kind). */
export function authenticationConfiguration(oidc: OidcConfig | undefined): Record<string, unknown> {
  return {
    anonymous: { enabled: true, conditions: HEALTH_PATHS.map((path) => ({ path })) },
    jwt: (oidc?.issuers ?? []).map(jwtAuthenticator),
  };
}
