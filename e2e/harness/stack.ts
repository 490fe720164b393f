/**
 * An example stack pointed at the local IdP: only the OIDC issuer url and certificateAuthority change
 * (and the issuer url inside claimValidationRules that compare `claims.iss` with it, as saas has);
 * audiences, clientId, claim mappings, prefixes and requiredClaims stay as the example has them.
 */
import { componentFlags, ComponentFlags } from '../../core/cis/model';
import type { ValidStack } from '../../core/config/validate';
import { RenderedStack, renderStack } from '../../core/render/index';
import type { SecretsBundle } from '../../core/secrets/bundle';
import { validateValues } from '../../core/stack';
import type { TalosLine } from '../../core/talos/defaults';
import { TODAY, cisChecks, exampleValues } from '../../test/helpers';
import { TalosApiServerFiles, talosControlPlane } from './talos-files';

export interface TenantInfo { name: string; groups: string[]; selfService: boolean }

export interface OidcInfo { clientId: string; usernamePrefix: string; groupsPrefix: string; platformAdminGroups: string[] }

export interface PreparedStack {
  name: string;
  v: ValidStack;
  rendered: RenderedStack;
  flags: ComponentFlags;
  files: TalosApiServerFiles;
  contract: string;
  tenants: TenantInfo[];
  oidc: OidcInfo;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = Record<string, any>;

/** OIDC and tenant facts of an example, from its raw values (the IdP needs them before rendering). */
export function stackFacts(name: string): { tenants: TenantInfo[]; oidc: OidcInfo } {
  const raw = exampleValues(name) as Raw;
  const iss = raw.oidc.issuers[0];
  return {
    tenants: (raw.tenants ?? []).map((t: Raw) => ({ name: t.name, groups: t.groups ?? [], selfService: !!t.selfService })),
    oidc: {
      clientId: raw.oidc.clientId,
      usernamePrefix: iss.claims?.username?.prefix ?? '',
      groupsPrefix: iss.claims?.groups?.prefix ?? '',
      platformAdminGroups: raw.oidc.platformAdminGroups ?? [],
    },
  };
}

export async function prepareStack(name: string, issuerUrl: string, issuerCaPem: string, secrets: SecretsBundle): Promise<PreparedStack> {
  const raw = exampleValues(name) as Raw;
  const iss = raw.oidc.issuers[0];
  const oldUrl = iss.url as string;
  iss.url = issuerUrl;
  iss.certificateAuthority = issuerCaPem;
  for (const rule of iss.claimValidationRules ?? []) if (typeof rule.expression === 'string') rule.expression = rule.expression.split(oldUrl).join(issuerUrl);
  const v = validateValues(name, raw, { today: TODAY });
  const rendered = renderStack(v, secrets, { cis: cisChecks() });
  const cpNode = v.stack.nodes.find((n) => n.role === 'controlplane');
  const cp = rendered.nodes.find((n) => n.role === 'controlplane');
  if (!cpNode || !cp) throw new Error(`${name}: no control-plane node`);
  const line = `${v.stack.cluster.talosVersion.replace(/^v/, '').split('.').slice(0, 2).join('.')}` as TalosLine;
  const contract = v.stack.cluster.contract;
  // the control plane Talos's own controllers compute from the rendered YAML (etcd, kubelet: the model)
  const { flags, files } = talosControlPlane(cp.config, contract, line, cpNode, componentFlags(v.stack, rendered.plan, line, cpNode));
  return { name, v, rendered, flags, files, contract, ...stackFacts(name) };
}
