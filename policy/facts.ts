/**
 * What the policies need to know about a stack, from its `bulwark:` config: environment,
 * profile (with what it extends and its Pod Security levels, from profiles/), waivers (with each
 * control's layer, from the catalogue) and tenant names. No secret is read: only these keys.
 */
import { join } from 'node:path';
import { parseStackYaml } from '../core/config/load';
import { CATALOGUE } from '../core/controls/catalogue';
import { loadProfiles } from '../core/profiles/load';
import { applyOverlay } from '../core/profiles/resolve';
import type { Profile } from '../core/profiles/schema';
import { REPO_ROOT } from '../core/stack';
import { controlContext, decideControls, unmetText } from '../core/controls/resolve';
import { validateValues } from '../core/stack';
import { PLACEHOLDER_SECRETS } from '../core/ops/placeholder';
import { renderStack } from '../core/render/index';
import type { ControlFacts, PodSecurityLevel, PodSecurityMode, WaiverFacts } from './rules';

export interface StackFacts {
  environment: string;
  profile: string;
  site: string;
  /** Empty when the profile is not in profiles/. */
  lineage: string[];
  podSecurity?: Record<PodSecurityMode, PodSecurityLevel>;
  waivers: WaiverFacts[];
  tenants: string[];
  /** Every control's status as the posture report states it; empty when the config does not validate. */
  controls: ControlFacts[];
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `bulwark:` values (keys without the namespace) → facts. Unknown or malformed parts are left out, not guessed. */
export function stackFacts(values: Record<string, unknown>, root = REPO_ROOT): StackFacts {
  const site = str(values.site) ?? 'datacenter';
  const profileName = str(values.profile) ?? '';
  const { profiles } = loadProfiles(join(root, 'profiles'));
  const base = profiles.get(profileName);
  let profile: Profile | undefined = base && !base.overlay ? base : undefined;
  if (profile && site === 'edge') {
    const edge = profiles.get('edge');
    profile = edge ? applyOverlay(profile, edge) : profile;
  }
  const layers = new Map(CATALOGUE.map((c) => [c.id, c.layer as string]));
  return {
    environment: str(obj(values.operations).environment) ?? 'development',
    profile: profileName,
    site,
    lineage: profile?.lineage ?? [],
    podSecurity: profile?.settings.podSecurity,
    waivers: arr(values.waivers).map((w) => {
      const control = str(obj(w).control) ?? '';
      const expires = str(obj(w).expires);
      const layer = layers.get(control);
      return { control, ...(layer ? { layer } : {}), ...(expires ? { expires } : {}) };
    }),
    tenants: arr(values.tenants).map((t) => str(obj(t).name)).filter((n): n is string => !!n),
    controls: controlFacts(values, root),
  };
}

/** The same decisions the render and the program make; an invalid config has none (the program fails on it anyway). */
function controlFacts(values: Record<string, unknown>, root: string): ControlFacts[] {
  try {
    const v = validateValues('policy', values, { root });
    // config patches can undo a control; only the patched configs say which, so a stack with patches is rendered
    const patched = v.stack.nodes.some((n) => n.patches.length) || Object.values(v.stack.patches).some((p) => p.length);
    const decisions = patched ? renderStack(v, PLACEHOLDER_SECRETS).decisions : decideControls(CATALOGUE, controlContext(v.stack, v.profile));
    return decisions.map((d) => {
      const reason = unmetText(d.status);
      return { id: d.control.id, status: d.status.state, ...(reason ? { reason } : {}) };
    });
  } catch {
    return [];
  }
}

/**
 * Pulumi's config map (`{"bulwark:profile": "multi-team", "bulwark:operations": "{\"environment\":...}"}`,
 * objects as JSON text) → `bulwark:` values. Other namespaces are ignored.
 */
export function valuesFromPulumiConfig(all: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(all)) {
    if (!key.startsWith('bulwark:')) continue;
    let value: unknown = raw;
    if (/^\s*[[{]/.test(raw) || raw === 'true' || raw === 'false') {
      try {
        value = JSON.parse(raw);
      } catch {
        value = raw;
      }
    }
    out[key.slice('bulwark:'.length)] = value;
  }
  return out;
}

/** `bulwark:` values from a stack file's text (the fallback when Pulumi passes no config to the pack). */
export function valuesFromStackFile(text: string, stack: string): Record<string, unknown> | undefined {
  const raw = parseStackYaml(text, stack);
  return Object.keys(raw.values).length ? raw.values : undefined;
}
