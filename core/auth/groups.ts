/**
 * Groups as the API server sees them: the identity provider's group name behind the
 * issuer's groups prefix. Every RBAC subject and admission-policy exemption goes through
 * here, so a group can never be bound without its prefix (and so never as `system:...`).
 */
import type { OidcConfig } from '../config/schema';

export function prefixedGroups(oidc: OidcConfig | undefined, group: string): string[] {
  if (!oidc) return [];
  const out = new Set<string>();
  for (const iss of oidc.issuers) if (iss.claims.groups) out.add(`${iss.claims.groups.prefix ?? ''}${group}`);
  return [...out].sort();
}

export function prefixedGroupList(oidc: OidcConfig | undefined, groups: readonly string[]): string[] {
  return [...new Set(groups.flatMap((g) => prefixedGroups(oidc, g)))].sort();
}
