/**
 * The rules of Bulwark's policy pack as pure functions over plain data: no Pulumi, no files, no
 * Bulwark core. Each returns the violations it finds (empty = compliant), each message naming
 * the stack setting or resource to fix. The pack (policy/policies.ts) turns registered resources
 * and stack config into these inputs.
 */

export interface Violation {
  message: string;
  /** The resource in violation; absent for the stack as a whole. */
  urn?: string;
}

// -------------------------------------------------------------------------------------------------
// Environment minimums: a production stack runs multi-team or a stricter profile.

/** Per environment, the profile a stack's profile must be or extend. */
export type ProfileMinimums = Record<string, string>;
export const DEFAULT_MINIMUMS: ProfileMinimums = { production: 'multi-team' };

export interface ProfileFacts {
  environment: string;
  /** As the stack names it (bulwark:profile). */
  profile: string;
  /** The profile and every profile it extends (and the edge overlay, when applied); empty if unknown. */
  lineage: string[];
}

export function checkEnvironmentProfile(f: ProfileFacts, minimums: ProfileMinimums = DEFAULT_MINIMUMS): Violation[] {
  const min = minimums[f.environment];
  if (!min) return [];
  if (!f.lineage.length)
    return [{ message: `bulwark:profile "${f.profile}" is not a profile in profiles/, so it cannot be shown to meet the ${f.environment} minimum (${min})` }];
  if (f.lineage.includes(min)) return [];
  return [
    {
      message:
        `bulwark:operations.environment is ${f.environment}, which requires profile ${min} or a stricter one extending it (e.g. hostile-multi-tenant); ` +
        `bulwark:profile is ${f.profile}${f.lineage.length > 1 ? ` (${f.lineage.join(' → ')})` : ''}`,
    },
  ];
}

// -------------------------------------------------------------------------------------------------
// Required controls hold: the statuses are the posture report's (core/controls/resolve.ts).

export interface ControlFacts {
  id: string;
  /** enforced | depends | not-applied | waived | not-required | not-applicable */
  status: string;
  reason?: string;
}

/**
 * A production stack has no required control that is configured but depends on something the
 * stack does not configure: fix the chain (e.g. a CNI that enforces NetworkPolicy) or waive the
 * control with a reason a reviewer can judge.
 */
export function checkNoUnmetDependencies(environment: string, controls: ControlFacts[]): Violation[] {
  if (environment !== 'production') return [];
  return controls
    .filter((c) => c.status === 'depends')
    .map((c) => ({ message: `${c.id} is required by the profile but not enforced: ${c.reason}; configure what it depends on, or waive it in bulwark:waivers with a reason` }));
}

/** Controls that existing-cluster mode does not apply: said every time, so nobody reads the stack as hardened there. */
export function checkNotApplied(controls: ControlFacts[]): Violation[] {
  const ids = controls.filter((c) => c.status === 'not-applied').map((c) => c.id);
  if (!ids.length) return [];
  return [{ message: `existing-cluster mode: ${ids.length} required control(s) are not applied by Bulwark (nodes and control plane are not its own): ${ids.join(', ')}` }];
}

// -------------------------------------------------------------------------------------------------
// Waivers of authentication and authorisation controls must end.

export interface WaiverFacts {
  control: string;
  /** The control's layer from the catalogue; by default the id's first segment. */
  layer?: string;
  expires?: string;
}

export function checkAuthWaiverExpiry(waivers: WaiverFacts[]): Violation[] {
  const out: Violation[] = [];
  waivers.forEach((w, i) => {
    const layer = w.layer ?? w.control.split('.')[0];
    if (layer === 'auth' && !w.expires)
      out.push({
        message: `bulwark:waivers[${i}] waives ${w.control}, an auth-layer control, without an expiry; add expires: YYYY-MM-DD so the waiver is reviewed again`,
      });
  });
  return out;
}

// -------------------------------------------------------------------------------------------------
// Tenant namespaces at or above the profile's Pod Security levels.

export const POD_SECURITY_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PodSecurityLevel = (typeof POD_SECURITY_LEVELS)[number];
export type PodSecurityMode = 'enforce' | 'audit' | 'warn';
export const POD_SECURITY_LABEL = (mode: PodSecurityMode) => `pod-security.kubernetes.io/${mode}`;

export interface NamespaceFacts {
  urn?: string;
  name: string;
  labels: Record<string, string>;
}

/** A namespace counts as a tenant's when it carries the tenant label or has a tenant's name. */
export function isTenantNamespace(ns: NamespaceFacts, tenants: string[], tenantLabel = 'bulwark.dev/tenant'): boolean {
  return tenantLabel in ns.labels || tenants.includes(ns.name);
}

export function checkNamespacePodSecurity(ns: NamespaceFacts, profile: { name: string; podSecurity: Record<PodSecurityMode, PodSecurityLevel> }): Violation[] {
  const out: Violation[] = [];
  for (const mode of ['enforce', 'audit', 'warn'] as PodSecurityMode[]) {
    const want = profile.podSecurity[mode];
    const label = POD_SECURITY_LABEL(mode);
    const have = ns.labels[label];
    const rank = POD_SECURITY_LEVELS.indexOf(have as PodSecurityLevel);
    if (have === undefined)
      out.push({ urn: ns.urn, message: `tenant namespace ${ns.name} has no ${label} label; profile ${profile.name} requires ${want} or stricter` });
    else if (rank < 0)
      out.push({ urn: ns.urn, message: `tenant namespace ${ns.name} has ${label}=${have}, which is not a Pod Security level (privileged, baseline, restricted)` });
    else if (rank < POD_SECURITY_LEVELS.indexOf(want))
      out.push({ urn: ns.urn, message: `tenant namespace ${ns.name} has ${label}=${have}, below profile ${profile.name}'s ${want}` });
  }
  return out;
}

// -------------------------------------------------------------------------------------------------
// No node configuration applied over the unauthenticated maintenance API once the cluster is up.

/** The arguments of each talosctl invocation in a shell command line (or script). */
export function talosctlInvocations(command: string | undefined): string[][] {
  if (!command) return [];
  const out: string[][] = [];
  for (const segment of command.split(/[;&|()\n]+/)) {
    const tokens = segment.split(/\s+/).map((t) => t.replace(/^["']+|["']+$/g, '')).filter(Boolean);
    const at = tokens.findIndex((t) => /(^|\/)talosctl$/.test(t));
    if (at >= 0) out.push(tokens.slice(at + 1));
  }
  return out;
}

/**
 * Whether a command applies a Talos machine configuration with --insecure (the maintenance API:
 * no client authentication and no server verification; the configuration, with the cluster's
 * keys, goes to whoever answers).
 */
export function appliesInsecurely(command: string | undefined): boolean {
  return talosctlInvocations(command).some(
    (args) => args.some((t) => t === 'apply-config' || t === 'apply') && args.some((t) => t === '--insecure' || t === '--insecure=true' || t === '-i'),
  );
}

/** Whether a command bootstraps etcd (`talosctl bootstrap`). */
export function bootstraps(command: string | undefined): boolean {
  return talosctlInvocations(command).some((args) => args.includes('bootstrap'));
}

export interface NodeApplyFacts {
  urn?: string;
  /** The resource's name, for the message. */
  name: string;
  create?: string;
  /** Runs when the node's configuration changes; when absent, the create command runs again. */
  update?: string;
  /** The apply runs after etcd was bootstrapped (it depends on the bootstrap step). */
  afterBootstrap: boolean;
}

/** A configured node is never re-applied over the maintenance API (checked before each step runs). */
export function checkInsecureReapply(a: NodeApplyFacts): Violation[] {
  if (!appliesInsecurely(a.update)) return [];
  return [
    {
      urn: a.urn,
      message:
        `${a.name} re-applies the machine configuration with --insecure when it changes; ` +
        'a configured node is reached through the authenticated Talos API (talosconfig), never the maintenance API',
    },
  ];
}

/**
 * A command without an update command runs its create command again when any of its inputs
 * change (@pulumi/command): an insecure first apply would then be sent to a node that is already
 * configured (or to whoever now answers at its address).
 */
export function checkInsecureCreateRerun(a: NodeApplyFacts): Violation[] {
  if (a.update !== undefined || !appliesInsecurely(a.create)) return [];
  return [
    {
      urn: a.urn,
      message:
        `${a.name} has no update command, so a change to its inputs (its script, its node address) runs the insecure first apply again; ` +
        'give it an update command that does not apply (later configuration goes through the authenticated apply)',
    },
  ];
}

/** Once etcd is bootstrapped, no apply at all uses --insecure (checked over the stack's dependency graph). */
export function checkInsecureApplyAfterBootstrap(a: NodeApplyFacts): Violation[] {
  if (!a.afterBootstrap || !appliesInsecurely(a.create)) return [];
  return [
    {
      urn: a.urn,
      message: `${a.name} applies a machine configuration with --insecure after the cluster is bootstrapped; once bootstrapped, configuration goes through the authenticated Talos API (talosconfig)`,
    },
  ];
}
