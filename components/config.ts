/**
 * The stack configuration, read from Pulumi config (`bulwark:*` keys) and validated by the
 * same core code the render CLI uses. Invalid configuration stops the program before any
 * resource is registered, with every problem listed and no stack trace.
 */
import * as pulumi from '@pulumi/pulumi';
import { StackConfigError } from '../core/config/errors';
import { NAMESPACE } from '../core/config/load';
import type { ValidStack } from '../core/config/validate';
import { validateValues } from '../core/stack';

/** Structured config arrives as JSON text; plain strings (profile: single-team) do not parse as JSON. */
function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Every `bulwark:` key of the stack, decoded. Unknown keys are passed on so validation reports
 * them (a typo such as bulwark:node must not be silently ignored). Read raw, so reading the
 * secret key existingCluster does not warn; its kubeconfig is wrapped as a secret where used.
 */
export function readStackValues(): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(pulumi.runtime.allConfig())) {
    if (!key.startsWith(`${NAMESPACE}:`)) continue;
    values[key.slice(NAMESPACE.length + 1)] = parseValue(raw);
  }
  return values;
}

/** Validates the stack's config, or throws a RunError (clean exit, formatted problems, no trace). */
export function loadValidStack(stack = pulumi.getStack()): ValidStack {
  const values = readStackValues();
  try {
    return validateValues(stack, values);
  } catch (e) {
    if (e instanceof StackConfigError) throw new pulumi.RunError(e.message);
    throw e;
  }
}

/** Whether the existing-cluster kubeconfig is stored encrypted (`pulumi config set --secret`). */
export function existingKubeconfigIsEncrypted(): boolean {
  // Exported by @pulumi/pulumi's runtime, though not in its type declarations.
  const rt = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  return rt.isConfigSecret?.(`${NAMESPACE}:existingCluster`) ?? false;
}
