/**
 * Threat-model profiles are data (profiles/*.yaml), validated here. A profile names the
 * threat it answers, may extend another profile, and carries the settings that controls
 * read (pod-security level, audit depth, sandbox runtime, tenant defaults, OIDC strictness).
 * Which controls a profile enforces is said by the controls themselves (`requiredBy`),
 * inherited along `extends`; a profile may add controls (`require`) or waive them with a reason
 * (waivers are the profile's own: they are not inherited).
 */
import { z } from 'zod';
import { duration, quantity } from '../config/fields';

const podSecurityLevel = z.enum(['privileged', 'baseline', 'restricted']);

export const profileSettingsSchema = z.strictObject({
  /** Pod Security Standards level of tenant namespaces and the cluster default. */
  podSecurity: z.strictObject({ enforce: podSecurityLevel, audit: podSecurityLevel, warn: podSecurityLevel }),
  /** How much the audit log records: `standard` or `strict` (strict records request bodies of more writes). */
  audit: z.enum(['standard', 'strict']),
  /** Sandboxed container runtime offered to (and, when required, forced on) tenants. */
  sandboxRuntime: z.enum(['none', 'gvisor', 'kata']),
  /** Tenants may ask for NodePort/LoadBalancer Services at all. */
  tenantServiceTypesAllowed: z.boolean(),
  /** Defaults for every tenant's ResourceQuota and LimitRange, overridable per tenant. */
  tenantQuota: z.record(z.string(), quantity),
  tenantLimits: z.strictObject({
    defaultRequest: z.record(z.string(), quantity),
    default: z.record(z.string(), quantity),
    max: z.record(z.string(), quantity).optional(),
  }),
  oidc: z.strictObject({
    /** Tenants must name their own OIDC groups. */
    perTenantGroups: z.boolean(),
    /** Every issuer must pin audiences and carry required claims. */
    pinnedAudiencesAndRequiredClaims: z.boolean(),
    /** At most this many issuers (single-team keeps it simple). */
    maxIssuers: z.number().int().min(1),
  }),
  /** Kubelet pod PID limit. */
  podPidsLimit: z.number().int().min(64),
  /**
   * Longest life of a break-glass certificate (a system:masters credential nobody can revoke
   * before it expires): caps bulwark:cluster.breakGlassCertLifetime and `npm run break-glass`.
   */
  breakGlassMaxLifetime: duration,
  /**
   * A config patch (bulwark:patches) that changes a place a control owns: `allowed` (the posture then
   * reports the control not enforced, naming the patch) or `forbidden` (the render refuses the patch).
   */
  securityOwnedPatches: z.enum(['allowed', 'forbidden']),
});

export type ProfileSettings = z.infer<typeof profileSettingsSchema>;

const profileWaiver = z.strictObject({ control: z.string().min(1), reason: z.string().trim().min(10) });

export const profileFileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/),
  /** One paragraph: who uses a cluster under this profile and what it defends against. */
  threat: z.string().min(40),
  extends: z.string().optional(),
  /** An overlay (edge) applies on top of any profile instead of standing alone. */
  overlay: z.boolean().default(false),
  require: z.array(z.string()).default([]),
  waive: z.array(profileWaiver).default([]),
  /** Partial: merged over the parent's settings (objects deeply, everything else replaced). */
  settings: z.record(z.string(), z.unknown()).default({}),
});

export type ProfileFile = z.infer<typeof profileFileSchema>;

/** A profile with its lineage resolved and settings complete. */
export interface Profile {
  name: string;
  threat: string;
  overlay: boolean;
  /** This profile and its ancestors, nearest first: a control required by any of them applies. */
  lineage: string[];
  require: string[];
  waive: { control: string; reason: string; by: string }[];
  settings: ProfileSettings;
}
