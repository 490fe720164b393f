/**
 * The node configuration preview under the real engine: `pulumi preview --diff` of a change to a
 * sysctl and an API-server flag names both settings, on the nodes they touch, and shows no secret.
 * The program registers each node's bulwark:talos:Node component with exactly the inputs
 * TalosNode gives it (components/node.ts nodeInputs) — the component's Talos commands are left
 * out, as the command provider's plugin is not available here (provisioned.test.ts); a component
 * needs no provider, so its diff is the engine's own. The CI comment's summary of it
 * (previewNodeChanges, scripts/ci-preview.sh) is checked on this real output; the unit test of the
 * script replays a recording of it (test/report/preview-prod.txt, rewritten by setting
 * BULWARK_RECORD_PREVIEW=1).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { nodeInputs } from '../../components/node';
import { previewNodeChanges } from '../../core/ops/config-preview';
import { renderStack } from '../../core/render/index';
import type { SecretsBundle } from '../../core/secrets/bundle';
import { generateSecrets } from '../../core/secrets/generate';
import { validateValues } from '../../core/stack';
import { TODAY, exampleValues } from '../helpers';
import { allStrings, collector, copyExample, engineFile, openStack, plaintextSecrets, stateOnDisk, timed } from './engine';

const { eng, project } = engineFile(__filename);

type Values = Record<string, unknown>;

/** The nodes' components as the program registers them, from the stack rendered with `bundle`. */
const nodesProgram = (values: Values, bundle: SecretsBundle) => async () => {
  const r = renderStack(validateValues('prod', values, { today: TODAY }), bundle, { configPreview: true });
  for (const n of r.nodes) new pulumi.ComponentResource('bulwark:talos:Node', n.name, nodeInputs({ configPreview: n.configPreview }));
  return {};
};

test('a sysctl and an API-server flag change: the preview names both, on the nodes they touch, and holds no secret', async () => {
  // a real bundle, so the scan below has real secrets to look for (the program itself renders previews with placeholders)
  const bundle = await generateSecrets(new Date('2026-01-01T00:00:00Z'));
  const before = exampleValues('prod');
  const after = exampleValues('prod');
  after.waivers = ['os.kernel.kspp-sysctls', 'k8s.apiserver.profiling-off'].map((control) => ({ control, reason: 'seen in the preview', expires: '2027-01-31' }));
  copyExample(project, 'prod');
  const up = await timed('prod nodes: up', async () => (await openStack(eng, project, 'prod', nodesProgram(before, bundle))).up({ color: 'never' }));
  expect(up.summary.result).toBe('succeeded');

  const stack = await openStack(eng, project, 'prod', nodesProgram(after, bundle));
  const c = collector();
  const preview = await timed('prod nodes: preview --diff', () => stack.preview({ diff: true, color: 'never', onEvent: c.onEvent }));
  const out = preview.stdout;
  // every node loses the two sysctls; only the control planes the flag
  expect(c.steps().byOp.get('update')).toEqual(['prod-cp-1', 'prod-cp-2', 'prod-cp-3', 'prod-worker-1', 'prod-worker-2', 'prod-worker-3']);
  expect(out).toMatch(/~ machineConfig:/);
  expect(out.match(/^\s*- v1alpha1\.machine\.sysctls\["kernel\.sysrq"\] = "0"$/gm)?.length).toBe(6);
  expect(out.match(/^\s*- v1alpha1\.machine\.sysctls\["kernel\.kexec_load_disabled"\] = "1"$/gm)?.length).toBe(6);
  expect(out.match(/^\s*- v1alpha1\.cluster\.apiServer\.extraArgs\.profiling = "false"$/gm)?.length).toBe(3);
  // a line diff with context, not the whole configuration printed again
  expect(out.split('\n').length).toBeLessThan(200);
  const leaks = plaintextSecrets(allStrings([out, preview.stderr, stateOnDisk(eng, 'prod')]), allStrings(bundle));
  expect(leaks).toEqual([]);
  // the CI comment's summary: nodes with the same changes together
  const summary = previewNodeChanges(out);
  expect(summary).toContain('`prod-cp-1`, `prod-cp-2`, `prod-cp-3`:\n\n```diff\n- v1alpha1.machine.sysctls["kernel.kexec_load_disabled"] = "1"\n- v1alpha1.machine.sysctls["kernel.sysrq"] = "0"\n- v1alpha1.cluster.apiServer.extraArgs.profiling = "false"\n```');
  expect(summary).toContain('`prod-worker-1`, `prod-worker-2`, `prod-worker-3`:\n\n```diff\n- v1alpha1.machine.sysctls["kernel.kexec_load_disabled"] = "1"\n- v1alpha1.machine.sysctls["kernel.sysrq"] = "0"\n```');
  const recording = join(__dirname, '..', 'report', 'preview-prod.txt');
  if (process.env.BULWARK_RECORD_PREVIEW === '1') writeFileSync(recording, out);
  else expect(previewNodeChanges(readFileSync(recording, 'utf8'))).toBe(summary);
  // the state holds the whole preview, with its secrets redacted
  expect(JSON.stringify(stateOnDisk(eng, 'prod'))).toContain('= \\"[redacted]\\"');
}, 600_000);
