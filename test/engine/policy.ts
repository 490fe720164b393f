/**
 * The policy pack against the real engine: `pulumi preview --policy-pack policy` when the CLI can
 * load a Node policy pack; without the nodejs language host it cannot (it then looks for a
 * `pulumi-analyzer-policy-nodejs` plugin, which no registry here ships), so the pack's own rules
 * run on the resources the real engine holds in state, with the facts of the same stack file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from '@pulumi/policy';
import type { Stack } from '@pulumi/pulumi/automation';
import { stackFacts, valuesFromStackFile } from '../../policy/facts';
import { NAMESPACE_TYPE, bulwarkPolicies } from '../../policy/policies';
import { notRunForReal, timed } from './engine';

interface StateResource {
  urn: string;
  type: string;
  custom?: boolean;
  inputs?: Record<string, unknown>;
  dependencies?: string[];
}

type Violation = { policy: string; level: string; message: string; urn?: string };

/** A rule's view of a resource, as the analyzer hands it over (type, name, inputs, URN). */
function args(r: StateResource): ResourceValidationArgs & PolicyResource {
  const name = r.urn.split('::').pop()!;
  return {
    type: r.type, name, urn: r.urn, props: r.inputs ?? {}, dependencies: [], propertyDependencies: {},
    opts: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [] },
    stackTags: new Map(), isType: () => false, asType: () => undefined, getConfig: () => ({}),
    notApplicable: () => { throw new Error('not applicable'); },
  } as unknown as ResourceValidationArgs & PolicyResource;
}

export async function policyPackUnderEngine(stack: Stack, project: string, name: string): Promise<void> {
  let error: string | undefined;
  try {
    await timed(`${name}: preview --policy-pack policy`, () => stack.preview({ policyPacks: [join(project, 'policy')], color: 'never' }));
  } catch (e) {
    error = String((e as { stderr?: string }).stderr || (e as Error).message);
  }
  if (error === undefined) return; // the real CLI ran the pack and it passed (a mandatory violation fails the preview)
  const lines = error.split('\n').map((l) => l.trim());
  const line = lines.find((l) => /error:.*(policy|analyzer|plugin)/i.test(l)) ?? lines.find((l) => /error:/.test(l)) ?? lines[0];
  notRunForReal.push(`the policy pack under \`pulumi preview --policy-pack policy\`: the CLI cannot load a Node policy pack without the nodejs language host: "${line.trim()}". Its rules ran on the real engine's state instead (test/engine/policy.ts).`);
  expect(error).toMatch(/analyzer|policy/i);

  const state = (await stack.exportStack()).deployment as { resources: StateResource[] };
  const resources = state.resources.filter((r) => r.custom && !r.type.startsWith('pulumi:providers:'));
  const facts = stackFacts(valuesFromStackFile(readFileSync(join(project, 'stacks', `Pulumi.${name}.yaml`), 'utf8'), name)!);
  const found: Violation[] = [];
  for (const p of bulwarkPolicies(() => facts)) {
    const report = ((v: string | { message: string; urn?: string }) =>
      found.push({ policy: p.name, level: p.enforcementLevel ?? 'advisory', ...(typeof v === 'string' ? { message: v } : v) })) as unknown as ReportViolation;
    if ('validateStack' in p) await (p as StackValidationPolicy).validateStack({ resources: resources.map(args), stackTags: new Map(), getConfig: () => ({}) } as unknown as StackValidationArgs, report);
    else {
      const v = (p as ResourceValidationPolicy).validateResource;
      for (const r of resources) for (const fn of Array.isArray(v) ? v : [v!]) await fn(args(r), report);
    }
  }
  console.log(`policy pack rules on ${name}'s real state (${resources.length} resources): ${found.length ? found.map((f) => `${f.level} ${f.policy}: ${f.message}`).join('; ') : 'no violation'}`);
  expect(found.filter((f) => f.level === 'mandatory')).toEqual([]);
  expect(resources.filter((r) => r.type === NAMESPACE_TYPE).length).toBe(facts.tenants.length);
}
