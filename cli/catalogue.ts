/**
 * bulwark explain <control-id>, bulwark profiles, bulwark controls: the catalogue and the
 * profiles as people read them (text) and machines (--output json). explain shows one control:
 * its threat and references, which profiles require or waive it, and, rendered for a stack (the
 * one given, else the first example stack whose profile requires it), what it configures, what
 * it depends on, its status and who outside Bulwark checked it (the end-to-end suite's judges).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { suggest } from '../core/config/errors';
import type { ValidStack } from '../core/config/validate';
import { CATALOGUE } from '../core/controls/catalogue';
import { LAYERS, type Control } from '../core/controls/types';
import { PLACEHOLDER_SECRETS } from '../core/ops/placeholder';
import { loadVerification } from '../core/posture/verification';
import { loadProfiles } from '../core/profiles/load';
import type { Profile } from '../core/profiles/schema';
import { renderStack } from '../core/render/index';
import { REPO_ROOT, loadStack } from '../core/stack';
import { GlobalOptions, InputError, Io } from './io';
import { loadStackArg } from './stack-arg';

function allProfiles(): Profile[] {
  const { profiles, problems } = loadProfiles(join(REPO_ROOT, 'profiles'));
  if (problems.length) throw new Error(`profiles/ does not load: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  return [...profiles.values()];
}

const requires = (p: Profile, c: Control) => c.requiredBy.some((r) => p.lineage.includes(r)) || p.require.includes(c.id);

/** Per profile: required (and not waived by it), waived by it (with the reason), or not required. */
export function controlByProfile(c: Control, profiles: Profile[]): { profile: string; status: 'required' | 'waived' | 'not-required'; reason?: string }[] {
  return profiles.map((p) => {
    const w = p.waive.find((x) => x.control === c.id);
    if (!requires(p, c)) return { profile: p.name, status: 'not-required' as const };
    return w ? { profile: p.name, status: 'waived' as const, reason: w.reason } : { profile: p.name, status: 'required' as const };
  });
}

function findControl(id: string): Control {
  const c = CATALOGUE.find((x) => x.id === id);
  if (c) return c;
  const near = suggest(id, CATALOGUE.map((x) => x.id));
  throw new InputError(`"${id}" is not a control id${near.length ? `; did you mean ${near.join(' or ')}?` : ''} (bulwark controls lists them)`);
}

/** The first example stack whose profile requires the control and does not waive it. */
function exampleFor(c: Control): ValidStack | undefined {
  const names = readdirSync(join(REPO_ROOT, 'stacks')).map((f) => f.match(/^Pulumi\.(.+)\.yaml$/)?.[1]).filter((n): n is string => !!n).sort();
  for (const n of names) {
    try {
      const v = loadStack({ stack: n });
      if (requires(v.profile, c) && !v.profile.waive.some((w) => w.control === c.id)) return v;
    } catch {
      // a stack that does not validate explains nothing
    }
  }
  return undefined;
}

export function explainCommand(id: string, a: { stack?: string; stackFile?: string }, io: Io, g: GlobalOptions): number {
  const c = findControl(id);
  const profiles = controlByProfile(c, allProfiles());
  const valid = a.stack || a.stackFile ? loadStackArg(a, io) : exampleFor(c);
  const row = valid ? renderStack(valid, PLACEHOLDER_SECRETS, { verification: loadVerification(REPO_ROOT) }).posture.controls.find((x) => x.id === c.id) : undefined;
  const out = {
    id: c.id,
    layer: c.layer,
    title: c.title,
    threat: c.threat,
    references: c.references,
    profiles,
    ...(valid && row
      ? { stack: valid.name, status: row.status, reason: row.reason ?? null, configures: row.evidence, dependsOn: row.dependencies ?? [], notes: row.notes, verified: row.verified ?? null, judges: row.judges ?? [] }
      : {}),
  };
  if (g.output === 'json') return (io.out(`${JSON.stringify(out, null, 2)}\n`), 0);
  const L = [`${c.id} (${c.layer}): ${c.title}`, '', `Threat: ${c.threat}`, ''];
  const refs = Object.entries(c.references).filter(([, v]) => v?.length);
  if (refs.length) L.push('References:', ...refs.map(([k, v]) => `  ${k.toUpperCase()}: ${v!.join('; ')}`), '');
  L.push('Profiles:', ...profiles.map((p) => `  ${p.profile}: ${p.status}${p.reason ? ` (${p.reason.trim()})` : ''}`), '');
  if (!valid || !row) L.push('No example stack requires it; give --stack to see what it configures for yours.');
  else {
    L.push(`In stack ${valid.name} (profile ${valid.profile.name}): ${row.status}${row.reason ? `: ${row.reason}` : ''}`);
    if (row.evidence.length) L.push('What it configures:', ...row.evidence.map((e) => `  - ${e}`));
    if (row.dependencies?.length) L.push('What it depends on:', ...row.dependencies.map((d) => `  - ${d.met ? 'met' : 'NOT met'}: ${d.what} (${d.detail})`));
    for (const n of row.notes) L.push(`Note: ${n}`);
    L.push(
      row.verified
        ? `Verified: ${row.verified}, judged by ${(row.judges ?? []).join(', ')} (the end-to-end suite, out/e2e/results.json)`
        : 'Verified: not here (no end-to-end results for this stack; npm run test:e2e checks it against a real control plane)',
    );
  }
  io.out(`${L.join('\n')}\n`);
  return 0;
}

export function profilesCommand(io: Io, g: GlobalOptions): number {
  const list = allProfiles().map((p) => ({ name: p.name, overlay: p.overlay, lineage: p.lineage, threat: p.threat.trim(), required: CATALOGUE.filter((c) => requires(p, c) && !p.waive.some((w) => w.control === c.id)).length, waived: p.waive.length }));
  if (g.output === 'json') return (io.out(`${JSON.stringify(list, null, 2)}\n`), 0);
  for (const p of list)
    io.out(`${p.name}${p.overlay ? ' (overlay, site: edge)' : ''}${p.lineage.length > 1 ? ` extends ${p.lineage.slice(1).join(' → ')}` : ''}: ${p.required} controls required, ${p.waived} waived\n  ${p.threat}\n\n`);
  return 0;
}

export function controlsCommand(a: { layer?: string; profile?: string }, io: Io, g: GlobalOptions): number {
  const profiles = allProfiles();
  if (a.layer && !(LAYERS as string[]).includes(a.layer)) throw new InputError(`--layer "${a.layer}" is not a layer; one of ${LAYERS.join(', ')}`);
  const p = a.profile ? profiles.find((x) => x.name === a.profile) : undefined;
  if (a.profile && !p) {
    const near = suggest(a.profile, profiles.map((x) => x.name));
    throw new InputError(`--profile "${a.profile}" is not a profile${near.length ? ` (did you mean ${near[0]}?)` : ''}; one of ${profiles.map((x) => x.name).join(', ')}`);
  }
  const list = CATALOGUE.filter((c) => !a.layer || c.layer === a.layer)
    .filter((c) => !p || requires(p, c))
    .map((c) => ({ id: c.id, layer: c.layer, title: c.title, requiredBy: c.requiredBy, ...(p ? { status: p.waive.some((w) => w.control === c.id) ? 'waived' : 'required' } : {}) }));
  if (g.output === 'json') return (io.out(`${JSON.stringify(list, null, 2)}\n`), 0);
  const w = Math.max(0, ...list.map((c) => c.id.length));
  for (const c of list) io.out(`${c.id.padEnd(w)}  ${c.layer.padEnd(10)} ${c.status === 'waived' ? '(waived by the profile) ' : ''}${c.title}\n`);
  return 0;
}
