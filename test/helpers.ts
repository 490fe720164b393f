/** Shared test fixtures: example stacks, one secrets bundle per test run, the reference data. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { loadDefinitions } from '../core/cis/definitions';
import { parseStackYaml } from '../core/config/load';
import type { ValidStack } from '../core/config/validate';
import type { SecretsBundle } from '../core/secrets/bundle';
import { generateSecrets } from '../core/secrets/generate';
import { REPO_ROOT, loadStack, validateValues } from '../core/stack';
import { StackConfigError } from '../core/config/errors';

export const EXAMPLES = ['lab', 'prod', 'saas', 'edge-store', 'airgap'] as const;
export const REFERENCE = resolve(REPO_ROOT, '../shared/reference');
export const TODAY = '2026-11-26';

export function requireReference(): string {
  if (!existsSync(REFERENCE)) throw new Error(`reference data not found at ${REFERENCE}: the tests need shared/ beside the checkout`);
  return REFERENCE;
}

export function example(name: string): ValidStack {
  return loadStack({ stack: name, today: TODAY });
}

/** Validate a stack given as YAML text (as a stack file would hold it). */
export function fromYaml(text: string, name = 'test'): ValidStack {
  const raw = parseStackYaml(text, name);
  return validateValues(name, raw.values, { today: TODAY, earlier: raw.problems });
}

/** Raw `bulwark:` values of an example, to mutate in tests. */
export function exampleValues(name: string): Record<string, unknown> {
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  const doc = parse(readFileSync(join(REPO_ROOT, 'stacks', `Pulumi.${name}.yaml`), 'utf8')) as { config: Record<string, unknown> };
  return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace(/^bulwark:/, ''), v]));
}

let cached: Promise<SecretsBundle> | undefined;
/** Key generation is slow (RSA-4096): one bundle per test file. */
export function testSecrets(): Promise<SecretsBundle> {
  cached ??= generateSecrets(new Date('2026-01-01T00:00:00Z'));
  return cached;
}

export function cisChecks() {
  const dir = join(requireReference(), 'kube-bench/cis-1.12');
  return { checks: loadDefinitions(dir), source: dir };
}

/** Every problem validation finds in raw `bulwark:` values ([] when they are valid). */
export function configProblems(values: Record<string, unknown>, opts: { name?: string; earlier?: { path: string; message: string }[] } = {}): { path: string; message: string }[] {
  try {
    validateValues(opts.name ?? 't', values, { today: TODAY, earlier: opts.earlier });
    return [];
  } catch (e) {
    if (e instanceof StackConfigError) return e.problems;
    throw e;
  }
}
