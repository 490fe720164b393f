/**
 * Provisioned mode under the real engine, as far as it can run here. The committed example stacks
 * go through the CLI's config validation (Pulumi.yaml's declarations) and the program starts; its
 * Talos commands need the command provider's plugin, which no registry here ships, so they stay
 * under the mock runtime (test/components). The cluster secrets — a dynamic resource, served by
 * `pulumi-resource-pulumi-nodejs` from @pulumi/pulumi — run for real.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../core/stack';
import { EXAMPLES } from '../helpers';
import { allStrings, copyExample, engineFile, notRunForReal, openStack, plaintextSecrets, previewInOwnProcess, readStackFile, stateOnDisk, timed } from './engine';

const { base, eng, project } = engineFile(__filename);

notRunForReal.push(
  'provisioned mode\'s Talos steps (command:local:Command: node applies, bootstrap, health, rollout, kubeconfig): the command provider\'s plugin (pulumi-resource-command) is refused by the Go module proxy in every version and is on no other registry here; the engine needs it even to preview, so these resources run under the mock runtime (test/components/*.test.ts).',
  'the nodejs language host (pulumi-language-nodejs) is refused by the Go module proxy: every program runs as an Automation API inline program (LocalWorkspace on a project folder holding Pulumi.yaml and the stack files), which serves the language runtime in-process.',
);

/** Lines only in `a` (-) and only in `b` (+). */
function lineDiff(a: string, b: string): string {
  const [x, y] = [a.split('\n'), b.split('\n')];
  return [...x.filter((l) => !y.includes(l)).map((l) => `- ${l}`), ...y.filter((l) => !x.includes(l)).map((l) => `+ ${l}`)].join('\n');
}

describe.each(EXAMPLES)('committed example stack %s, unchanged, under the real CLI', (name) => {
  test('passes the CLI\'s config validation; the program runs until the first Talos command', async () => {
    copyExample(project, name);
    const child = await previewInOwnProcess(`${name}: stack init + preview (provisioned, own process)`, { base, project }, name);
    expect(child.status).toBe(0);
    const { error } = child;
    // before Pulumi.yaml declared defaults: "validating stack config: Stack 'lab' is missing configuration values ..."
    expect(error).not.toMatch(/missing configuration value|validating stack config/);
    expect(error).not.toMatch(/is invalid \(\d+ problem/);
    // what stops it is the missing command plugin, nothing of Bulwark's
    expect(error).toMatch(/command/);
    expect(error).toMatch(/plugin/);
    // `stack init` wrote into the copy (the passphrase salt), never into the checkout
    expect(readStackFile(project, name)).toMatch(/^encryptionsalt: /m);
    // and only added that salt: the committed files are written as the CLI writes YAML (flow maps as {a: b}),
    // so committing the salt once is the whole change (before: every flow map re-spaced too)
    expect(lineDiff(readFileSync(join(REPO_ROOT, 'stacks', `Pulumi.${name}.yaml`), 'utf8'), readStackFile(project, name))).toMatch(/^\+ encryptionsalt: v1:[^\n]*$/);
    expect(readFileSync(join(REPO_ROOT, 'stacks', `Pulumi.${name}.yaml`), 'utf8')).not.toMatch(/encryptionsalt/);
  });
});

describe('the cluster secrets (dynamic resource) under the real engine', () => {
  test('up generates the bundle once; state holds it encrypted, and no checkout path; an update never rotates it', async () => {
    const program = async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ClusterSecrets } = require('../../components/secrets') as typeof import('../../components/secrets');
      const s = new ClusterSecrets('cluster-secrets');
      return { fingerprint: s.bundle.apply((b) => b.cluster.id) };
    };
    copyExample(project, 'lab', 'secrets');
    const stack = await openStack(eng, project, 'secrets', program);
    const up = await timed('secrets: up', () => stack.up({ color: 'never' }));
    expect(up.summary.result).toBe('succeeded');
    const state = stateOnDisk(eng, 'secrets') as { checkpoint: { latest: { resources: { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[] } } };
    const res = state.checkpoint.latest.resources.find((r) => r.type.startsWith('pulumi-nodejs:dynamic'))!;
    expect(res).toBeDefined();
    const strings = allStrings(state);
    // the serialized provider names the generator relative to the project, not where this checkout is
    // (source positions are relative to the project folder by design: project:///...)
    expect(strings.filter((s) => !s.startsWith('project:///') && (s.includes(REPO_ROOT) || s.includes(base)))).toEqual([]);
    expect(String(res.inputs?.__provider)).toContain('core/secrets/generate.ts');
    expect(plaintextSecrets(strings, [])).toEqual([]);
    expect(JSON.stringify(res.outputs?.bundle)).toContain('4dabf18193072939515e22adb298388d'); // a secret, encrypted
    // the generated bundle is whole (read back through the stack output's secret)
    const outputs = await stack.outputs();
    expect(outputs.fingerprint.secret).toBe(true);
    await timed('secrets: preview --expect-no-changes', () => stack.preview({ expectNoChanges: true, color: 'never' }));
    expect((await stack.outputs()).fingerprint.value).toBe(outputs.fingerprint.value);
    expect((await timed('secrets: destroy', () => stack.destroy({ color: 'never' }))).summary.result).toBe('succeeded');
    await stack.workspace.removeStack('secrets');
  });
});
