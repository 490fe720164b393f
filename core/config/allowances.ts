/**
 * Tenant allowances (`bulwark:tenants[i].allow`): the traffic a tenant's default-deny leaves possible,
 * declared by the platform team — ingress from the platform's ingress namespace (`bulwark:ingressNamespace`)
 * on named ports, egress to named CIDRs and ports outside the cluster, and tenant-to-tenant traffic, which
 * needs both sides' consent (the sender's `toTenants` and the receiver's `fromTenants`). Rendered as
 * NetworkPolicies by core/controls/catalogue/tenancy.ts.
 */
import { z } from 'zod';
import { quote } from './errors';
import { cidr, dnsLabel, overlaps } from './fields';
import type { StackConfig, TenantConfig } from './schema';

const portSchema = z.strictObject({
  port: z.number().int().min(1).max(65535),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
});

export const allowancesSchema = z.strictObject({
  /** Ports of the tenant's pods the platform's ingress controller (bulwark:ingressNamespace) may reach. */
  fromIngress: z.array(portSchema).min(1).optional(),
  /** Destinations outside the cluster: a name (for the policy and the report), a CIDR, its ports. */
  egress: z.array(z.strictObject({ name: dnsLabel('egress name'), cidr, ports: z.array(portSchema).min(1) })).default([]),
  /** Tenants whose pods may open connections to this tenant's pods (each must name this tenant in toTenants). */
  fromTenants: z.array(dnsLabel('tenant name')).default([]),
  /** Tenants this tenant's pods may open connections to (each must name this tenant in fromTenants). */
  toTenants: z.array(dnsLabel('tenant name')).default([]),
});

export type Allowances = z.infer<typeof allowancesSchema>;

type Add = (path: PropertyKey[], message: string) => void;

export function checkAllowances(tenants: (TenantConfig | undefined)[], stack: Partial<StackConfig>, add: Add): void {
  const index = new Map(tenants.flatMap((t, i) => (t ? [[t.name, i] as const] : [])));
  const subnets = [...(stack.cluster?.podSubnets ?? []), ...(stack.cluster?.serviceSubnets ?? [])];
  tenants.forEach((t, i) => {
    const a = t?.allow;
    if (!t || !a) return;
    const at = (...rest: PropertyKey[]) => ['tenants', i, 'allow', ...rest];
    if (a.fromIngress && !stack.ingressNamespace)
      add(at('fromIngress'), 'is set, but bulwark:ingressNamespace is missing; name the namespace the platform\'s ingress controller runs in');
    a.egress.forEach((e, j) => {
      for (const s of subnets)
        if (overlaps(e.cidr, s))
          add(at('egress', j, 'cidr'), `${e.cidr} overlaps the cluster subnet ${s}; allowances reach outside the cluster only: for another tenant use toTenants (with its consent)`);
    });
    const names = new Set<string>();
    a.egress.forEach((e, j) => {
      if (names.has(e.name)) add(at('egress', j, 'name'), `${quote(e.name)} is used twice in this tenant's egress; give each destination its own name`);
      names.add(e.name);
    });
    for (const [mine, theirs, verb] of [['toTenants', 'fromTenants', 'accept traffic from'], ['fromTenants', 'toTenants', 'send traffic to']] as const)
      a[mine].forEach((other, j) => {
        const k = index.get(other);
        if (other === t.name) return add(at(mine, j), `names tenant ${t.name} itself; traffic within a namespace is the profile's, not an allowance`);
        if (k === undefined) return add(at(mine, j), `${quote(other)} is not a tenant of this stack; known: ${[...index.keys()].sort().join(', ')}`);
        if (!tenants[k]!.allow?.[theirs].includes(t.name))
          add(
            at(mine, j),
            `names tenant ${other}, but ${other} does not ${verb} ${t.name}: tenant-to-tenant traffic needs both sides' consent; add ${quote(t.name)} to bulwark:tenants[${k}].allow.${theirs}, or remove it here`,
          );
      });
  });
  if (stack.ingressNamespace && index.has(stack.ingressNamespace))
    add(['ingressNamespace'], `${quote(stack.ingressNamespace)} is a tenant's namespace; the platform's ingress controller runs in a namespace of its own`);
}
