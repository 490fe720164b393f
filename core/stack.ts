/**
 * One entry point from "a stack name" to "a validated stack with its profile": used by the
 * render CLI, the posture commands, the Pulumi program and the benchmark alike.
 */
import { basename, join, resolve } from 'node:path';
import { StackConfigError, quote } from './config/errors';
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

/**
 * A stack name, as Pulumi allows it and as every path under out/<stack>/ relies on: it starts
 * with a letter or digit, so it is never "." or ".." (a file named "...yaml" once gave the stack
 * ".." and render replaced the folder above out/), and holds no "/" or other separator.
 */
export const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const STACK_NAME_RULE = 'a stack name starts with a letter or digit and holds only letters, digits, ".", "_" and "-"';

/** The stack a file names: Pulumi.<stack>.yaml, or any other file's base name without .yaml. */
export function stackNameOfFile(file: string): string {
  return basename(file).replace(/^Pulumi\./, '').replace(/\.ya?ml$/, '');
}

/** Why a name is not a stack name, or undefined when it is one. */
export function stackNameProblem(name: string): string | undefined {
  return STACK_NAME.test(name) ? undefined : `${quote(name)} is not a stack name: ${STACK_NAME_RULE}`;
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
  // Checked before any path is built from the name: the name becomes out/<stack>/ and stacks/Pulumi.<stack>.yaml.
  if (opts.stack !== undefined && stackNameProblem(opts.stack)) throw new StackConfigError(opts.stack, [{ path: '--stack', message: stackNameProblem(opts.stack)! }]);
  const file = opts.stackFile ?? stackFilePath(opts.stack!, opts.root);
  const name = opts.stack ?? stackNameOfFile(file);
  if (stackNameProblem(name))
    throw new StackConfigError(name, [{ path: '--stack-file', message: `${quote(basename(file))} gives the stack name ${quote(name)}, which is not a stack name: ${STACK_NAME_RULE}. Rename the file Pulumi.<stack>.yaml (or <stack>.yaml)` }]);
  const raw = readStackFile(file, name);
  if (raw.problems.length && !Object.keys(raw.values).length) throw new StackConfigError(name, raw.problems);
  return validateValues(name, raw.values, { ...opts, earlier: raw.problems });
}
