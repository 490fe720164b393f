/**
 * Groups as the API server sees them: the identity provider's group name behind the groups
 * prefix of the issuer the group was declared for. Every RBAC subject and admission-policy
 * exemption goes through here, so a group is never bound without its prefix (and so never as
 * `system:...`), and never for an issuer it was not declared for: with two issuers, the second
 * one emitting `platform-admins` must not become a platform admin.
 *
 * A stack names a group either as a plain name (the first issuer's, which is only allowed
 * while there is one issuer) or as `{issuer: <issuer name>, group: <name>}`.
 */
import type { GroupRef, IssuerConfig, OidcConfig } from '../config/schema';

export type { GroupRef };

export const groupNameOf = (ref: GroupRef): string => (typeof ref === 'string' ? ref : ref.group);

/** The issuer a group belongs to: the named one, or the first for a plain name. */
export function issuerOf(oidc: OidcConfig, ref: GroupRef): IssuerConfig | undefined {
  return typeof ref === 'string' ? oidc.issuers[0] : oidc.issuers.find((i) => i.name === ref.issuer);
}

/** The group's name as the API server sees it, or undefined if its issuer maps no groups. */
export function prefixedGroup(oidc: OidcConfig | undefined, ref: GroupRef): string | undefined {
  if (!oidc) return undefined;
  const groups = issuerOf(oidc, ref)?.claims.groups;
  return groups ? `${groups.prefix ?? ''}${groupNameOf(ref)}` : undefined;
}

export function prefixedGroupList(oidc: OidcConfig | undefined, refs: readonly GroupRef[]): string[] {
  return [...new Set(refs.flatMap((r) => prefixedGroup(oidc, r) ?? []))].sort();
}

type Add = (path: PropertyKey[], message: string) => void;

/**
 * Each group reference names an issuer that exists and maps groups; with several issuers,
 * every reference names its issuer (a plain name would silently mean the first).
 */
export function checkGroupRef(oidc: OidcConfig, ref: GroupRef, path: PropertyKey[], add: Add): void {
  const names = oidc.issuers.flatMap((i) => (i.name ? [i.name] : []));
  if (typeof ref === 'string') {
    if (oidc.issuers.length > 1)
      add(path, `"${ref.slice(0, 80)}" names no issuer, and there are ${oidc.issuers.length} issuers; write {issuer: <name>, group: ${JSON.stringify(ref.slice(0, 80))}} with the name of the issuer that emits it (${names.length ? `names: ${names.join(', ')}` : 'give each issuer a name'})`);
    return;
  }
  const iss = issuerOf(oidc, ref);
  if (!iss) add([...path, 'issuer'], `"${ref.issuer}" is not the name of any issuer in bulwark:oidc.issuers; ${names.length ? `names: ${names.join(', ')}` : 'give the issuer a name (bulwark:oidc.issuers[i].name)'}`);
  else if (!iss.claims.groups) add([...path, 'issuer'], `names issuer ${ref.issuer}, which maps no groups claim, so no token of it carries this group; map claims.groups on that issuer or use another issuer`);
}

/**
 * Issuer names are unique, and no issuer's username or groups prefix is another's or begins
 * with another's: with "oidc:" and "oidc:partner:", the first issuer's group
 * "partner:platform-admins" and the second's "platform-admins" would be one Kubernetes group.
 */
export function checkIssuers(oidc: OidcConfig, add: Add): void {
  const byName = new Map<string, number>();
  oidc.issuers.forEach((iss, i) => {
    if (!iss.name) return;
    if (byName.has(iss.name)) add(['oidc', 'issuers', i, 'name'], `"${iss.name}" is already the name of bulwark:oidc.issuers[${byName.get(iss.name)}]; issuer names must be unique`);
    else byName.set(iss.name, i);
  });
  for (const which of ['username', 'groups'] as const)
    oidc.issuers.forEach((b, j) => {
      const pb = b.claims[which]?.prefix;
      if (!pb) return;
      for (let i = 0; i < j; i++) {
        const pa = oidc.issuers[i].claims[which]?.prefix;
        if (!pa || !(pa.startsWith(pb) || pb.startsWith(pa))) continue;
        add(['oidc', 'issuers', j, 'claims', which, 'prefix'],
          `"${pb}" ${pa === pb ? 'is also' : 'overlaps'} the ${which} prefix of bulwark:oidc.issuers[${i}] ("${pa}"); each issuer needs its own ${which} prefix, none the start of another (e.g. "corp:" and "partner:"), or one issuer's ${which === 'username' ? 'users' : 'groups'} could be named as another's`);
        break;
      }
    });
}
