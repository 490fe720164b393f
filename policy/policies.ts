/**
 * Bulwark's policies: the resources the program registers and the stack's config, turned into the
 * inputs of the pure rules in rules.ts. Kept apart from index.ts (which starts the policy server)
 * so tests can call them with recorded resources. Only types are imported from @pulumi/policy.
 *
 * What they look at:
 * - the stack's `bulwark:` config (through `facts`): environment, profile, waivers, tenants;
 * - kubernetes:core/v1:Namespace resources: metadata.name and metadata.labels;
 * - command:local:Command resources: the `create` and `update` command lines, and the dependency
 *   graph (which applies run after the `talosctl bootstrap` command).
 */
import type { PolicyResource, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from '@pulumi/policy';
import type { StackFacts } from './facts';
import {
  DEFAULT_MINIMUMS, NodeApplyFacts, ProfileMinimums, Violation, appliesInsecurely, bootstraps, checkAuthWaiverExpiry, checkEnvironmentProfile,
  checkInsecureApplyAfterBootstrap, checkInsecureCreateRerun, checkInsecureReapply, checkNamespacePodSecurity, checkNoUnmetDependencies, checkNotApplied,
  isTenantNamespace,
} from './rules';

export const NAMESPACE_TYPE = 'kubernetes:core/v1:Namespace';
export const COMMAND_TYPE = 'command:local:Command';

/** The stack's facts, or why they could not be read. */
export type FactsSource = () => StackFacts | { error: string };

const report = (violations: Violation[], reportViolation: ReportViolation) => {
  for (const v of violations) reportViolation(v.message, v.urn);
};

function withFacts(facts: FactsSource, reportViolation: ReportViolation, use: (f: StackFacts) => void): void {
  const f = facts();
  if ('error' in f) reportViolation(`Bulwark policies cannot read the stack's bulwark: config: ${f.error}`);
  else use(f);
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function applyFacts(r: { urn: string; name: string; props: Record<string, unknown> }, afterBootstrap: boolean): NodeApplyFacts {
  return { urn: r.urn, name: r.name, create: text(r.props.create), update: text(r.props.update), afterBootstrap };
}

/** URNs a resource depends on, directly or through others (dependsOn and input dependencies). */
function dependencyClosure(r: PolicyResource, byUrn: Map<string, PolicyResource>): Set<string> {
  const seen = new Set<string>();
  const queue: PolicyResource[] = [r];
  while (queue.length) {
    const cur = queue.pop()!;
    const next = [...(cur.dependencies ?? []), ...Object.values(cur.propertyDependencies ?? {}).flat()];
    for (const d of next) {
      if (!d || seen.has(d.urn)) continue;
      seen.add(d.urn);
      queue.push(byUrn.get(d.urn) ?? d);
    }
  }
  return seen;
}

export function bulwarkPolicies(facts: FactsSource): (ResourceValidationPolicy | StackValidationPolicy)[] {
  return [
    {
      name: 'bulwark-environment-minimum-profile',
      description: 'A production stack (bulwark:operations.environment: production) uses profile multi-team or one extending it, such as hostile-multi-tenant.',
      enforcementLevel: 'mandatory',
      configSchema: {
        properties: {
          minimums: {
            type: 'object',
            description: 'Environment → the profile a stack there must be or extend.',
            additionalProperties: { type: 'string' },
            default: DEFAULT_MINIMUMS,
          },
        },
      },
      validateStack: (args, reportViolation) => {
        const minimums = { ...DEFAULT_MINIMUMS, ...(args.getConfig<{ minimums?: ProfileMinimums }>().minimums ?? {}) };
        withFacts(facts, reportViolation, (f) => report(checkEnvironmentProfile(f, minimums), reportViolation));
      },
    },
    {
      name: 'bulwark-production-controls-hold',
      description: 'A production stack has no required control that is configured but depends on something the stack does not configure (e.g. a CNI that enforces NetworkPolicy).',
      enforcementLevel: 'mandatory',
      validateStack: (_args, reportViolation) => withFacts(facts, reportViolation, (f) => report(checkNoUnmetDependencies(f.environment, f.controls), reportViolation)),
    },
    {
      name: 'bulwark-existing-cluster-not-applied',
      description: 'Says which required controls existing-cluster mode does not apply (advisory: the mode is a choice, the gap must be visible).',
      enforcementLevel: 'advisory',
      validateStack: (_args, reportViolation) => withFacts(facts, reportViolation, (f) => report(checkNotApplied(f.controls), reportViolation)),
    },
    {
      name: 'bulwark-auth-waiver-expiry',
      description: 'Every waiver of an auth-layer control carries an expiry date.',
      enforcementLevel: 'mandatory',
      validateStack: (_args, reportViolation) => withFacts(facts, reportViolation, (f) => report(checkAuthWaiverExpiry(f.waivers), reportViolation)),
    },
    {
      name: 'bulwark-tenant-pod-security',
      description: "No tenant namespace is labelled below the profile's Pod Security levels (enforce, audit, warn).",
      enforcementLevel: 'mandatory',
      validateResource: (args, reportViolation) => {
        if (args.type !== NAMESPACE_TYPE) return;
        const meta = (args.props.metadata ?? {}) as { name?: unknown; labels?: Record<string, string> };
        const ns = { urn: args.urn, name: text(meta.name) ?? args.name, labels: { ...(meta.labels ?? {}) } };
        withFacts(facts, reportViolation, (f) => {
          if (!isTenantNamespace(ns, f.tenants)) return;
          if (!f.podSecurity) reportViolation(`tenant namespace ${ns.name}: profile "${f.profile}" is not in profiles/, so its Pod Security levels are unknown`);
          else report(checkNamespacePodSecurity(ns, { name: f.profile, podSecurity: f.podSecurity }), reportViolation);
        });
      },
    },
    {
      name: 'bulwark-no-insecure-reapply',
      description: 'A node whose configuration changes is re-applied through the authenticated Talos API: no update command runs talosctl apply-config --insecure.',
      enforcementLevel: 'mandatory',
      validateResource: (args, reportViolation) => {
        if (args.type !== COMMAND_TYPE) return;
        report(checkInsecureReapply(applyFacts(args, false)), reportViolation);
      },
    },
    {
      name: 'bulwark-insecure-apply-reruns-on-change',
      description: 'An insecure first apply has its own update command, so changing its inputs never sends a configuration over the maintenance API again.',
      enforcementLevel: 'advisory',
      validateResource: (args, reportViolation) => {
        if (args.type !== COMMAND_TYPE) return;
        report(checkInsecureCreateRerun(applyFacts(args, false)), reportViolation);
      },
    },
    {
      name: 'bulwark-no-insecure-apply-after-bootstrap',
      description: 'No machine configuration is applied with --insecure by a step that runs after `talosctl bootstrap`.',
      enforcementLevel: 'mandatory',
      validateStack: (args, reportViolation) => {
        const commands = args.resources.filter((r) => r.type === COMMAND_TYPE);
        const boot = new Set(commands.filter((r) => bootstraps(text(r.props.create))).map((r) => r.urn));
        if (!boot.size) return;
        const byUrn = new Map(args.resources.map((r) => [r.urn, r]));
        for (const r of commands) {
          if (boot.has(r.urn) || !appliesInsecurely(text(r.props.create))) continue;
          const after = [...dependencyClosure(r, byUrn)].some((u) => boot.has(u));
          report(checkInsecureApplyAfterBootstrap(applyFacts(r, after)), reportViolation);
        }
      },
    },
  ];
}
