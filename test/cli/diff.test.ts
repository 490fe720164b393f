/**
 * bulwark diff as a CI gate: --fail-on weaker|failing exit codes, the production minimum checked
 * with the policy pack's own rule, and what the change does to each node.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { NodeFacts, diffNodes } from '../../core/posture/diff';
import { REPO_ROOT } from '../../core/stack';
import { checkEnvironmentProfile } from '../../policy/rules';
import { writeSecretsFile } from '../../cli/secrets-file';
import { testSecrets } from '../helpers';
import { cli } from './run';

type Config = Record<string, unknown>;

function side(edit: Record<string, (c: Config) => void> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'bulwark-cli-diff-'));
  mkdirSync(join(root, 'stacks'));
  cpSync(join(REPO_ROOT, 'profiles'), join(root, 'profiles'), { recursive: true });
  for (const name of ['lab', 'prod']) {
    const doc = parseDocument(readFileSync(join(REPO_ROOT, 'stacks', `Pulumi.${name}.yaml`), 'utf8'));
    const config = doc.toJS().config as Config;
    edit[name]?.(config);
    doc.set('config', doc.createNode(config));
    writeFileSync(join(root, 'stacks', `Pulumi.${name}.yaml`), doc.toString());
  }
  return root;
}

// one bundle for every diff (key generation is slow; the posture does not depend on it)
const secrets = join(mkdtempSync(join(tmpdir(), 'bulwark-cli-diff-secrets-')), 'secrets.yaml');
const diff = (base: string, head: string, ...more: string[]) => cli(['diff', '--base', base, '--head', head, '--secrets', secrets, ...more]);
const base = side();

beforeAll(async () => {
  process.env.BULWARK_TODAY = '2026-11-26';
  writeSecretsFile(secrets, await testSecrets());
});

test('a production stack below its minimum profile is failing, with the policy pack\'s message; --fail-on failing exits 3', async () => {
  const head = side({ prod: (c) => (c['bulwark:profile'] = 'single-team') });
  const r = await diff(base, head, '--stack', 'prod', '--output', 'json', '--fail-on', 'failing');
  expect(r.code).toBe(3);
  expect(r.err).toBe('bulwark diff --fail-on failing: prod (failing)\n');
  const d = JSON.parse(r.out);
  const rule = checkEnvironmentProfile({ environment: 'production', profile: 'single-team', lineage: ['single-team'] });
  expect(d.stacks[0]).toMatchObject({ stack: 'prod', verdict: 'failing', failures: [{ side: 'head', kind: 'policy', problems: [{ path: 'bulwark:operations.environment', message: rule[0].message }] }] });
  const md = await diff(base, head, '--stack', 'prod');
  expect(md.code).toBe(0); // no gate asked for
  expect(md.out).toContain('breaks a mandatory rule of the policy pack');
});

test('--fail-on weaker: a waiver weakens lab (exit 3); --fail-on failing lets it pass; nodes get a live apply', async () => {
  const head = side({ lab: (c) => (c['bulwark:waivers'] = [{ control: 'k8s.kubelet.pod-pids-limit', reason: 'bursty batch jobs fork many processes', expires: '2027-01-31' }]) });
  const weaker = await diff(base, head, '--fail-on', 'weaker', '-o', 'json');
  expect(weaker.code).toBe(3);
  const lab = JSON.parse(weaker.out).stacks.find((s: { stack: string }) => s.stack === 'lab');
  expect(lab.verdict).toBe('weaker');
  expect(lab.nodes).toEqual([
    { node: 'lab-cp-1', consequence: 'live-apply' },
    { node: 'lab-worker-1', consequence: 'live-apply' },
  ]);
  expect((await diff(base, head, '--fail-on', 'failing')).code).toBe(0);
  expect((await diff(head, base, '--fail-on', 'weaker')).code).toBe(0); // lifting the waiver is stronger
  expect((await diff(base, base, '--fail-on', 'weaker')).code).toBe(0);
  expect((await diff(base, head, '--fail-on', 'worse')).code).toBe(2);
});

test('a new Talos release changes every node\'s installer: upgrade and reboot, named in the comment', async () => {
  const head = side({ lab: (c) => ((c['bulwark:cluster'] as Config).talosVersion = 'v1.14.2') });
  const r = await diff(base, head, '--stack', 'lab', '-o', 'json');
  expect(r.code).toBe(0);
  const nodes = JSON.parse(r.out).stacks[0].nodes as { node: string; consequence: string; installer: { from: string; to: string } }[];
  expect(nodes.map((n) => [n.node, n.consequence])).toEqual([['lab-cp-1', 'upgrade-reboot'], ['lab-worker-1', 'upgrade-reboot']]);
  expect(nodes[0].installer.from).toMatch(/:v1\.14\.1$/);
  expect(nodes[0].installer.to).toMatch(/:v1\.14\.2$/);
  const md = (await diff(base, head, '--stack', 'lab')).out;
  expect(md).toContain('- new installer or schematic (upgrade and reboot): `lab-cp-1`, `lab-worker-1`');
});

test('node consequences: installer or schematic before reboot digest before a live apply; added and removed', () => {
  const n = (name: string, o: Partial<NodeFacts> = {}): NodeFacts => ({ name, installer: 'i:1', schematicId: 's1', rebootDigest: 'r1', configDigest: 'c1', ...o });
  const before = [n('a'), n('b'), n('c'), n('d'), n('e'), n('gone')];
  const after = [n('a'), n('b', { schematicId: 's2', rebootDigest: 'r2', configDigest: 'c2' }), n('c', { rebootDigest: 'r2', configDigest: 'c2' }), n('d', { configDigest: 'c2' }), n('e', { installer: 'i:2' }), n('new')];
  expect(diffNodes(before, after)).toEqual([
    { node: 'b', consequence: 'upgrade-reboot', installer: { from: 'i:1', to: 'i:1' } },
    { node: 'c', consequence: 'reboot' },
    { node: 'd', consequence: 'live-apply' },
    { node: 'e', consequence: 'upgrade-reboot', installer: { from: 'i:1', to: 'i:2' } },
    { node: 'new', consequence: 'added' },
    { node: 'gone', consequence: 'removed' },
  ]);
  expect(diffNodes(undefined, after)).toEqual([]);
});

test('raising a production stack back to its minimum is fixed, and says why the base failed', async () => {
  const below = side({ prod: (c) => (c['bulwark:profile'] = 'single-team') });
  const r = await diff(below, base, '--stack', 'prod', '--fail-on', 'failing');
  expect(r.code).toBe(0);
  expect(r.out).toContain('### `prod`: renders again');
  expect(r.out).toContain('The base revision of this stack broke a mandatory rule of the policy pack');
});
