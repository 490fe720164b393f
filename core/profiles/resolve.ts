import { ConfigProblem } from '../config/errors';
import { Profile, ProfileFile, profileSettingsSchema, ProfileSettings } from './schema';

export type ProfileSet = ReadonlyMap<string, Profile>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Child settings over parent settings: objects merge key by key, everything else is replaced. */
export function mergeSettings(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeSettings(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/**
 * Resolves `extends` chains and completes settings. Problems (unknown parent, cycles,
 * settings that do not validate after merging) are returned, not thrown.
 */
export function resolveProfiles(files: ProfileFile[], source = 'profiles'): { profiles: ProfileSet; problems: ConfigProblem[] } {
  const byName = new Map(files.map((f) => [f.name, f]));
  const problems: ConfigProblem[] = [];
  const profiles = new Map<string, Profile>();

  for (const file of [...files].sort((a, b) => a.name.localeCompare(b.name))) {
    const chain: ProfileFile[] = [];
    let cur: ProfileFile | undefined = file;
    let broken = false;
    while (cur) {
      if (chain.includes(cur)) {
        problems.push({ path: `${source}/${file.name}.yaml: extends`, message: `forms a cycle (${chain.map((c) => c.name).join(' → ')} → ${cur.name}); a profile may not extend itself` });
        broken = true;
        break;
      }
      chain.push(cur);
      if (cur.extends === undefined) break;
      const parent = byName.get(cur.extends);
      if (!parent) {
        problems.push({ path: `${source}/${cur.name}.yaml: extends`, message: `names unknown profile "${cur.extends}"; known: ${[...byName.keys()].sort().join(', ')}` });
        broken = true;
        break;
      }
      if (parent.overlay) {
        problems.push({ path: `${source}/${cur.name}.yaml: extends`, message: `"${parent.name}" is an overlay, not a base profile; overlays apply through the stack (e.g. site: edge)` });
        broken = true;
        break;
      }
      cur = parent;
    }
    if (broken) continue;
    const rootFirst = [...chain].reverse();
    let settings: Record<string, unknown> = {};
    for (const p of rootFirst) settings = mergeSettings(settings, p.settings);
    let complete: ProfileSettings | undefined;
    if (file.overlay) {
      complete = undefined; // overlays carry partial settings, merged over the base profile at stack time
    } else {
      const parsed = profileSettingsSchema.safeParse(settings);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          problems.push({ path: `${source}/${file.name}.yaml: settings.${issue.path.join('.')}`, message: issue.message });
        continue;
      }
      complete = parsed.data;
    }
    profiles.set(file.name, {
      name: file.name,
      threat: file.threat.trim(),
      overlay: file.overlay,
      lineage: chain.map((c) => c.name),
      require: [...new Set(rootFirst.flatMap((p) => p.require))].sort(),
      // Waivers are not inherited: a reason that holds for one threat model need not hold for a stricter one.
      waive: file.waive.map((w) => ({ ...w, by: `profile ${file.name}` })),
      settings: (complete ?? settings) as ProfileSettings,
    });
  }
  return { profiles, problems };
}

/** The stack's profile with an overlay (edge) laid over it. */
export function applyOverlay(base: Profile, overlay: Profile | undefined): Profile {
  if (!overlay) return base;
  return {
    name: `${base.name}+${overlay.name}`,
    threat: `${base.threat}\n\n${overlay.threat}`,
    overlay: false,
    lineage: [...base.lineage, ...overlay.lineage],
    require: [...new Set([...base.require, ...overlay.require])].sort(),
    waive: [...base.waive, ...overlay.waive],
    settings: profileSettingsSchema.parse(mergeSettings(base.settings as unknown as Record<string, unknown>, overlay.settings as unknown as Record<string, unknown>)),
  };
}
