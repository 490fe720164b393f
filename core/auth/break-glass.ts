/**
 * Break-glass: what it is and the rules it keeps. A break-glass credential is a Kubernetes
 * client certificate minted on demand for one named person with a stated reason
 * (`npm run break-glass`, core/secrets/break-glass.ts): `CN=break-glass:<person>`, groups
 * `system:masters` (it must work when OIDC or RBAC is broken, which is what it is for) and
 * `bulwark:break-glass`, and the reason as a third group, so every request it makes carries
 * the person and the reason in the audit log. Nothing can revoke it before it expires, so its
 * lifetime is capped by the profile (`breakGlassMaxLifetime`).
 */

export const BREAK_GLASS_GROUP = 'bulwark:break-glass';
export const BREAK_GLASS_USER_PREFIX = 'break-glass:';
export const BREAK_GLASS_REASON_PREFIX = 'bulwark:break-glass-reason:';

/** A person as the CN names them: an e-mail address or a login. */
export const PERSON = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,62}$/;
export const REASON_MAX = 120;
const REASON = /^[\x20\x21\x23-\x5b\x5d-\x7e]+$/;

/** Milliseconds of a Go-style duration as the stack writes it (1h, 30m, 1h30m, 90s). */
export function durationMs(d: string): number {
  let total = 0;
  for (const [, n, unit] of d.matchAll(/(\d+)(h|m|s)/g)) total += Number(n) * (unit === 'h' ? 3600_000 : unit === 'm' ? 60_000 : 1000);
  return total;
}

/** Why `lifetime` is not allowed under a cap of `max`, or undefined when it is. */
export function lifetimeProblem(lifetime: string, max: string, profile: string): string | undefined {
  if (durationMs(lifetime) <= durationMs(max)) return undefined;
  return `is ${lifetime}, longer than the ${max} profile ${profile} allows a break-glass certificate (breakGlassMaxLifetime): nothing can revoke one before it expires; use ${max} or less`;
}

/** Problems with a person and a reason, by option name. */
export function requestProblems(person: string | undefined, reason: string | undefined): { option: string; message: string }[] {
  const out: { option: string; message: string }[] = [];
  if (!person) out.push({ option: '--person', message: 'is missing; name the person who will use the credential (e.g. --person alice@example.com)' });
  else if (!PERSON.test(person))
    out.push({ option: '--person', message: `${JSON.stringify(person.slice(0, 80))} is not a person's name as a certificate carries it; use an e-mail address or login: letters, digits and . _ @ + -, at most 63 characters` });
  if (!reason) out.push({ option: '--reason', message: 'is missing; say why (e.g. --reason "OIDC provider down, INC-1234"): it goes into the certificate and every audit event' });
  else if (reason.trim().length < 10 || reason.length > REASON_MAX || !REASON.test(reason))
    out.push({ option: '--reason', message: `must be 10 to ${REASON_MAX} printable ASCII characters other than " and \\ (it is recorded as a group name in every audit event); got ${reason.length} characters${REASON.test(reason) ? '' : ' with others'}` });
  return out;
}
