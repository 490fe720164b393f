import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ConfigProblem } from '../config/errors';
import { ProfileSet, resolveProfiles } from './resolve';
import { ProfileFile, profileFileSchema } from './schema';

/** Reads every profiles/*.yaml; problems are returned with the file and key that caused them. */
export function loadProfiles(dir: string): { profiles: ProfileSet; problems: ConfigProblem[] } {
  const files: ProfileFile[] = [];
  const problems: ConfigProblem[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')).sort()) {
    let raw: unknown;
    try {
      raw = parse(readFileSync(join(dir, f), 'utf8'));
    } catch (e) {
      problems.push({ path: `profiles/${f}`, message: `is not valid YAML: ${(e as Error).message.split('\n')[0]}` });
      continue;
    }
    const r = profileFileSchema.safeParse(raw);
    if (!r.success) {
      for (const i of r.error.issues) problems.push({ path: `profiles/${f}: ${i.path.join('.')}`, message: i.message });
      continue;
    }
    if (`${r.data.name}.yaml` !== f) problems.push({ path: `profiles/${f}: name`, message: `is "${r.data.name}"; a profile's file is named after it (${r.data.name}.yaml)` });
    files.push(r.data);
  }
  const resolved = resolveProfiles(files);
  return { profiles: resolved.profiles, problems: [...problems, ...resolved.problems] };
}
