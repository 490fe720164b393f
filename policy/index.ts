/**
 * Bulwark's policy pack: `pulumi preview --policy-pack policy` (and `pulumi up --policy-pack policy`).
 * Starts the policy server when loaded, so tests import ./policies and ./rules instead.
 *
 * The stack's config comes from Pulumi (policy packs receive the stack config on current Pulumi
 * CLIs), else from stacks/Pulumi.<stack>.yaml in this checkout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { PolicyPack } from '@pulumi/policy';
import { REPO_ROOT } from '../core/stack';
import { StackFacts, stackFacts, valuesFromPulumiConfig, valuesFromStackFile } from './facts';
import { bulwarkPolicies } from './policies';

function readFacts(): StackFacts | { error: string } {
  const fromPulumi = valuesFromPulumiConfig(pulumi.runtime.allConfig());
  if (Object.keys(fromPulumi).length) return stackFacts(fromPulumi);
  let stack = '';
  try {
    stack = pulumi.getStack();
  } catch {
    stack = '';
  }
  if (!stack || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(stack))
    return { error: 'Pulumi passed no stack config to the policy pack and did not name the stack; use a Pulumi CLI that passes stack config to policy packs' };
  const file = join(REPO_ROOT, 'stacks', `Pulumi.${stack}.yaml`);
  const values = existsSync(file) ? valuesFromStackFile(readFileSync(file, 'utf8'), stack) : undefined;
  return values ? stackFacts(values) : { error: `Pulumi passed no stack config to the policy pack and ${file} has no bulwark: keys` };
}

let cached: StackFacts | { error: string } | undefined;

new PolicyPack('bulwark', {
  description: 'Bulwark per-environment minimums: profile by environment, expiring auth waivers, tenant Pod Security, no insecure Talos applies after bootstrap.',
  policies: bulwarkPolicies(() => (cached ??= readFacts())),
});
