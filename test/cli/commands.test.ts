/** render, posture, images, rotate-encryption-key, break-glass through `bulwark`: output, --output json, exit codes. */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSecretsFile } from '../../cli/secrets-file';
import { REPO_ROOT } from '../../core/stack';
import { EXAMPLES, testSecrets } from '../helpers';
import { cli } from './run';

const tmp = () => mkdtempSync(join(tmpdir(), 'bulwark-cli-'));
const FIXTURES = join(REPO_ROOT, 'test/fixtures/broken-stacks');
let secrets: string;

beforeAll(async () => {
  process.env.BULWARK_TODAY = '2026-11-26';
  secrets = join(tmp(), 'secrets.yaml');
  writeSecretsFile(secrets, await testSecrets());
});

test('render --output json: a summary for machines; --progress: steps on stderr; warnings on stderr', async () => {
  const out = tmp();
  const r = await cli(['render', '--stack', 'lab', '--out', out, '--secrets', secrets, '--output', 'json', '--progress']);
  expect(r.code).toBe(0);
  const s = JSON.parse(r.out);
  expect(s).toMatchObject({ stack: 'lab', dir: join(out, 'lab'), profile: 'single-team', nodes: { total: 2, controlPlanes: 1 }, secrets: 'given', warnings: [] });
  expect(r.err).toMatch(/^\[bulwark \d+\.\ds\] validating the stack\n\[bulwark [\d.]+s\] cluster secrets\n\[bulwark [\d.]+s\] rendering 2 node\(s\) and 1 tenant\(s\)\n\[bulwark [\d.]+s\] writing \d+ files\n$/);
  expect(existsSync(join(out, 'lab', 'posture.json'))).toBe(true);

  const warned = await cli(['render', '--stack-file', join(FIXTURES, 'ignored-inputs.yaml'), '--out', out, '--secrets', secrets]);
  expect(warned.code).toBe(0);
  expect(warned.err).toMatch(/^warning: bulwark:tenants\[0\]\.quota: is set, but profile single-team/m);
  expect(warned.err).toMatch(/^warning: bulwark:nodes\[1\]\.site: is "rack-7"/m);
});

test('render of a broken stack exits 2 with every problem; with --output json the problems are JSON on stdout', async () => {
  const file = join(FIXTURES, 'installdisk-typo.yaml');
  const r = await cli(['render', '--stack-file', file, '--out', tmp()]);
  expect(r.code).toBe(2);
  expect(r.err).toContain('stack "installdisk-typo" is invalid (3 problems):');
  expect(r.err).not.toContain('has no node with role controlplane');
  const j = await cli(['render', '--stack-file', file, '--out', tmp(), '-o', 'json']);
  expect(j.code).toBe(2);
  const e = JSON.parse(j.out).error;
  expect(e).toMatchObject({ command: 'render', kind: 'invalid-input' });
  expect(e.problems).toHaveLength(3);
  expect(e.problems[0]).toEqual({ path: 'bulwark:nodes[0]', message: expect.stringContaining('did you mean "installDisk"?') });
});

test('a stack name is looked up in ./stacks of the current directory first (a user repository with Bulwark installed)', async () => {
  const repo = tmp();
  mkdirSync(join(repo, 'stacks'));
  const { readFileSync } = await import('node:fs');
  // a name no checkout holds (a user's own stack in the checkout's stacks/ must not change this test)
  const mine = `mine-${process.pid}-${Date.now()}`;
  writeFileSync(join(repo, 'stacks', `Pulumi.${mine}.yaml`), readFileSync(join(REPO_ROOT, 'stacks', 'Pulumi.lab.yaml'), 'utf8'));
  const r = await cli(['images', '--stack', mine, '-o', 'json'], { cwd: repo });
  expect(r.code).toBe(0);
  expect(JSON.parse(r.out).stack).toBe(mine);
  expect((await cli(['images', '--stack', mine])).code).toBe(2); // not beside Bulwark
});

test('posture: --output json is --format json; Markdown by default', async () => {
  const out = tmp();
  const md = await cli(['posture', '--stack', 'lab', '--out', out, '--secrets', secrets]);
  expect(md.code).toBe(0);
  expect(md.out).toMatch(/^# /);
  const a = await cli(['posture', '--stack', 'lab', '--out', out, '--secrets', secrets, '--format', 'json']);
  const b = await cli(['posture', '--stack', 'lab', '--out', out, '--secrets', secrets, '--output', 'json']);
  expect(JSON.parse(b.out)).toEqual(JSON.parse(a.out));
  expect(JSON.parse(a.out).stack).toBe('lab');
  expect((await cli(['posture', '--stack', 'no such'])).code).toBe(2);
});

test('images: one image a line, or JSON', async () => {
  const t = await cli(['images', '--stack', 'airgap']);
  expect(t.code).toBe(0);
  const j = JSON.parse((await cli(['images', '--stack', 'airgap', '-o', 'json'])).out);
  expect(t.out).toBe(j.images.map((i: string) => `${i}\n`).join(''));
});

test('rotate-encryption-key: --begin then --finish on a secrets file; exactly one of them', async () => {
  const dir = tmp();
  const file = join(dir, 'secrets.yaml');
  writeSecretsFile(file, await testSecrets());
  const begin = JSON.parse((await cli(['rotate-encryption-key', '--stack', 'lab', '--secrets', file, '--begin', '-o', 'json'])).out);
  expect(begin).toMatchObject({ step: 'begin', file });
  expect(begin.keys).toHaveLength(2);
  const finish = JSON.parse((await cli(['rotate-encryption-key', '--stack', 'lab', '--secrets', file, '--finish', '-o', 'json'])).out);
  expect(finish.keys).toEqual([begin.keys[0]]);
  const neither = await cli(['rotate-encryption-key', '--stack', 'lab', '--secrets', file]);
  expect([neither.code, neither.err]).toEqual([2, expect.stringContaining('give exactly one of --begin')]);
});

test('break-glass: JSON says what was issued; every request problem at once, exit 2', async () => {
  const out = tmp();
  const r = await cli(['break-glass', '--stack', 'lab', '--person', 'alice', '--reason', 'OIDC provider down, INC-42', '--lifetime', '30m', '--out', out, '--secrets', secrets, '-o', 'json']);
  expect(r.code).toBe(0);
  const o = JSON.parse(r.out);
  expect(o).toMatchObject({ stack: 'lab', user: 'break-glass:alice', lifetime: '30m', file: join(out, 'lab', 'break-glass-alice.kubeconfig') });
  expect(existsSync(o.file)).toBe(true);
  const bad = await cli(['break-glass', '--lifetime', 'soon']);
  expect(bad.code).toBe(2);
  expect(bad.err).toMatch(/--stack is missing[\s\S]*--lifetime "soon" is not a duration/);
});

test('drift: its own checks through bulwark (every request problem at once, exit 2)', async () => {
  const r = await cli(['drift', '--state', 'x', '--server', 'http://plain']);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/--stack is missing[\s\S]*--state takes "-"[\s\S]*--server "http:\/\/plain" is not an https URL/); // more: drift-restore.test.ts
});

test('an unknown --stack: exit 2, the nearest stack name and the known ones (here and among the examples)', async () => {
  const known = (err: string) => /; stacks: ([^;]*);/.exec(err)?.[1].split(', ');
  const r = await cli(['render', '--stack', 'prd', '--out', tmp()]);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/^--stack "prd": no stack of that name in .*\/stacks or among Bulwark's examples \(did you mean prod\?\); stacks: [^;]+; or give a file with --stack-file <path>\n$/);
  expect(known(r.err)).toEqual(expect.arrayContaining([...EXAMPLES]));
  const repo = tmp();
  mkdirSync(join(repo, 'stacks'));
  writeFileSync(join(repo, 'stacks', 'Pulumi.zebra-site.yaml'), 'config: {}\n');
  const near = await cli(['images', '--stack', 'zebra-sit'], { cwd: repo });
  expect(near.err).toContain('(did you mean zebra-site?)');
  expect(known(near.err)).toEqual(expect.arrayContaining([...EXAMPLES, 'zebra-site']));
});
