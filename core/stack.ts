/**
 * One entry point from "a stack name" to "a validated stack with its profile": used by the
 * render CLI, the posture commands, the Pulumi program and the benchmark alike.
 */
import { basename, join, resolve } from 'node:path';
import { StackConfigError } from './config/errors';
import { readStackFile } from './config/load';
import { ValidStack, validateStack } from './config/validate';
import { CATALOGUE } from './controls/catalogue';
import { loadProfiles } from './profiles/load';

export const REPO_ROOT = resolve(__dirname, '..');

export function today(): string {
  return process.env.BULWARK_TODAY ?? new Date().toISOString().slice(0, 10);
}

/** today() as a Date (midnight UTC): what dated work (certificate windows) keys on, so tests can fix it. */
export function todayDate(): Date {
  return new Date(`${today()}T00:00:00Z`);
}

export function stackFilePath(stack: string, root = REPO_ROOT): string {
  return join(root, 'stacks', `Pulumi.${stack}.yaml`);
}

/** Validates raw `bulwark:` values (from a file or from Pulumi config). Throws StackConfigError. */
export function validateValues(name: string, values: Record<string, unknown>, opts: { root?: string; today?: string; earlier?: { path: string; message: string }[] } = {}): ValidStack {
  const root = opts.root ?? REPO_ROOT;
  const { profiles, problems } = loadProfiles(join(root, 'profiles'));
  if (problems.length) throw new StackConfigError(name, problems);
  return validateStack(name, values, { profiles, catalogue: CATALOGUE, today: opts.today ?? today() }, opts.earlier ?? []);
}

export function loadStack(opts: { stack?: string; stackFile?: string; root?: string; today?: string }): ValidStack {
  const file = opts.stackFile ?? stackFilePath(opts.stack!, opts.root);
  // Pulumi.<stack>.yaml names the stack; any other file is named after its base name.
  const name = opts.stack ?? basename(file).replace(/^Pulumi\./, '').replace(/\.ya?ml$/, '');
  const raw = readStackFile(file, name);
  if (raw.problems.length && !Object.keys(raw.values).length) throw new StackConfigError(name, raw.problems);
  return validateValues(name, raw.values, { ...opts, earlier: raw.problems });
}
