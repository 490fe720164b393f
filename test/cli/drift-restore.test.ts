/**
 * bulwark drift and bulwark restore-etcd: usage problems all at once (exit 2), output for people and
 * for machines, and the exit codes of what they do. Drift against a real cluster is
 * test/e2e/drift.test.ts; here the API server is a closed loopback port (every read fails: exit 4)
 * and no node is contacted (--no-nodes). restore-etcd's talosctl is a recording stand-in given
 * through the command's Io (no Talos node runs here); test/backup-restore.test.ts runs the real
 * spawn path with a stand-in binary on PATH.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSecretsFile } from '../../cli/secrets-file';
import { testSecrets } from '../helpers';
import { cli } from './run';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-ops-'));
const secrets = join(dir, 'secrets.yaml');
const snap = join(dir, 'db.snap');
let closed: string;

beforeAll(async () => {
  process.env.BULWARK_TODAY = '2026-11-26';
  writeSecretsFile(secrets, await testSecrets());
  writeFileSync(snap, 'snapshot');
  // a loopback port that was free a moment ago: connections to it are refused
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  closed = `https://127.0.0.1:${port}`;
});

describe('drift', () => {
  test('every usage problem at once, exit 2, with the usage line', async () => {
    const r = await cli(['drift', '--state', 'x', '--secrets', secrets, '--server', 'http://plain']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--stack is missing; name the stack');
    expect(r.err).toContain('--secrets and --state both given');
    expect(r.err).toContain('--state takes "-"');
    expect(r.err).toContain('--server "http://plain" is not an https URL');
    expect(r.err).toContain('usage: bulwark drift');
    expect(r.out).toBe('');
    const fmt = await cli(['drift', '--stack', 'lab', '--format', 'yaml']);
    expect([fmt.code, fmt.err]).toEqual([2, expect.stringContaining('Allowed choices are md, json')]);
  });

  test('a provisioned stack without its bundle: exit 2, naming both ways to give it', async () => {
    const r = await cli(['drift', '--stack', 'lab', '--no-nodes']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/needs its secrets bundle \(--secrets <file> or --state -\)/);
  });

  test('nothing readable: exit 4, Markdown names every object not read; --output json is the report for machines', async () => {
    const md = await cli(['drift', '--stack', 'lab', '--secrets', secrets, '--server', closed, '--no-nodes']);
    expect(md.code).toBe(4);
    expect(md.out).toMatch(/^# Drift: lab\n\nCompared 0 objects and 0 machine configurations: no drift in what was read, but \d+ read\(s\) failed \(below\): not a clean result\./);
    expect(md.out).toMatch(/^- Namespace\/apps: connect ECONNREFUSED/m);
    expect(md.out).toContain('machine configurations: not read (--no-nodes)');
    expect(md.err).toBe(''); // no progress off a terminal without --progress

    const json = await cli(['drift', '--stack', 'lab', '--secrets', secrets, '--server', closed, '--no-nodes', '-o', 'json', '--progress']);
    expect(json.code).toBe(4);
    const report = JSON.parse(json.out);
    expect(report).toMatchObject({ stack: 'lab', findings: [], checked: { objects: 0, nodes: 0 } });
    expect(report.unread).toContain('machine configurations: not read (--no-nodes)');
    expect(json.err).toMatch(/^\[bulwark [\d.]+s\] reading the live cluster of lab \(not its nodes: --no-nodes\)\n$/); // stderr only
    expect((await cli(['drift', '--stack', 'lab', '--secrets', secrets, '--server', closed, '--no-nodes', '--format', 'json'])).out).toBe(json.out);
  });

  test('the bundle from the Pulumi state on stdin (--state -)', async () => {
    const state = JSON.stringify({ deployment: { resources: [{ type: 'pulumi-nodejs:dynamic/bulwark:ClusterSecretsBundle', outputs: { bundle: await testSecrets() } }] } });
    const r = await cli(['drift', '--stack', 'lab', '--state', '-', '--server', closed, '--no-nodes', '-o', 'json'], { stdin: state });
    expect(r.code).toBe(4);
    expect((await cli(['drift', '--stack', 'lab', '--state', '-', '--no-nodes'], { stdin: 'not json' })).err).toContain('--state -: stdin is not JSON');
  });
});

describe('restore-etcd', () => {
  const base = ['restore-etcd', '--stack', 'prod', '--node', 'prod-cp-1', '--snapshot', snap];

  test('every usage problem at once, exit 2', async () => {
    const r = await cli(['restore-etcd', '--snapshot', join(dir, 'missing.snap'), '--execute']);
    expect(r.code).toBe(2);
    for (const p of ['--stack is missing', '--node is missing', 'missing.snap: no such file', "--execute needs the stack's secrets", 'usage: bulwark restore-etcd'])
      expect(r.err).toContain(p);
    const worker = await cli([...base.slice(0, 4), 'prod-worker-1', ...base.slice(5)]);
    expect([worker.code, worker.err]).toEqual([2, expect.stringContaining('"prod-worker-1" is not a control plane of this stack (control planes: prod-cp-1, prod-cp-2, prod-cp-3)')]);
  });

  test('without --execute: the numbered steps for people, the same as JSON for machines; nothing runs', async () => {
    const calls: string[][] = [];
    const talosctl = async (argv: string[]) => (calls.push(argv), { code: 0, stdout: '' });
    const text = await cli(base, { talosctl });
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^1\. wipe etcd data on prod-cp-1/);
    expect(text.out).toContain(`bootstrap --recover-from ${snap}`);
    const json = await cli([...base, '--skip-hash-check', '-o', 'json'], { talosctl });
    const plan = JSON.parse(json.out);
    expect(plan).toMatchObject({ stack: 'prod', node: 'prod-cp-1', executed: false });
    expect(plan.steps).toHaveLength(6);
    expect(plan.steps[4].talosctl).toEqual(expect.arrayContaining(['bootstrap', '--recover-from', snap, '--recover-skip-hash-check']));
    expect(calls).toEqual([]);
  });

  test('--execute: each step said as it starts ([k/N]) on stderr; a failing step exits 1 and stops there', async () => {
    const calls: string[][] = [];
    const talosctl = async (argv: string[]) => {
      calls.push(argv);
      return { code: 0, stdout: argv.includes('service') ? 'STATE    Preparing\n' : '' };
    };
    const ok = await cli([...base, '--secrets', secrets, '--execute', '-o', 'json'], { talosctl });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toEqual({ stack: 'prod', node: 'prod-cp-1', executed: true, steps: 6 });
    expect(ok.err.split('\n').filter(Boolean).map((l) => l.replace(/: .*/, ''))).toEqual([1, 2, 3, 4, 5, 6].map((k) => `restore-etcd [${k}/6]`));
    expect(calls.every((a) => a[0] === '--talosconfig')).toBe(true);

    const failing = await cli([...base, '--secrets', secrets, '--execute'], { talosctl: async (argv) => ({ code: argv.includes('reset') ? 7 : 0, stdout: '' }) });
    expect(failing.code).toBe(1);
    expect(failing.err).toMatch(/restore-etcd \[1\/6\]: wipe etcd data on prod-cp-1[^\n]*\nbulwark restore-etcd failed: wipe etcd data on prod-cp-1 .*talosctl exited 7\n$/);
  });
});
