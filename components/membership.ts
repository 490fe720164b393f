/**
 * The control-plane membership the last successful `pulumi up` left, and the check of this run's
 * `bulwark:nodes` against it (core/config/membership.ts: one control plane leaves at a time, never
 * below quorum).
 *
 * Where it comes from: the stack's own output `controlPlanes` (name, address, dead), read through
 * a StackReference to this very stack before any other resource is registered. A stack output,
 * not a resource's recorded input: outputs are written only when an update completes, so after a
 * failed `up` the program still compares with the last membership that was fully applied (the
 * conservative side: a removal that did not finish counts as not done). A resource's inputs would
 * already hold the new membership after a failed run. A stack that never recorded it (its first
 * `up`, or one from before this output) is checked by the static rules only.
 */
import * as pulumi from '@pulumi/pulumi';
import { formatProblems } from '../core/config/errors';
import { Member, membershipProblems } from '../core/config/membership';
import type { StackConfig } from '../core/config/schema';

export const MEMBERSHIP_OUTPUT = 'controlPlanes';

/** Reads the recorded membership (undefined when none), for the stack `project/stack` of this run. */
export async function previousMembership(): Promise<Member[] | undefined> {
  const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
  const details = await self.getOutputDetails(MEMBERSHIP_OUTPUT);
  const value = details.value ?? details.secretValue;
  if (!Array.isArray(value)) return undefined;
  return value.filter((m): m is Member => !!m && typeof m.name === 'string' && typeof m.address === 'string').map((m) => ({ name: m.name, address: m.address, dead: m.dead === true }));
}

/** Refuses (RunError, every problem with its key path) an edit etcd would not survive. */
export function checkMembership(stackName: string, previous: Member[] | undefined, stack: Pick<StackConfig, 'nodes' | 'operations'>): void {
  const problems = membershipProblems(previous, stack);
  if (problems.length) throw new pulumi.RunError(formatProblems(stackName, problems));
}
