/**
 * npm run restore-etcd: the order and argv of Talos's recovery path for a stack, run against a stand-in
 * talosctl (no Talos node can run here: `talosctl bootstrap --recover-from` itself is not exercised;
 * test/e2e/backup.test.ts restores the same snapshot format with etcdutl into a real etcd).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { executeRestore, run, talosctlRunner } from '../cli/restore-etcd';
import { restorePlan } from '../core/render/backup-restore';
import { example, testSecrets } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-restore-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('prod: every control plane wiped first, then wait for Preparing, then bootstrap --recover-from on the chosen node, then health', () => {
  const v = example('prod');
  const steps = restorePlan(v.stack, { node: 'prod-cp-2', snapshot: '/backups/db.snap' });
  const cps = v.stack.nodes.filter((n) => n.role === 'controlplane');
  const cp2 = cps.find((n) => n.name === 'prod-cp-2')!.address;
  expect(steps.map((s) => s.argv.slice(4, 6).join(' '))).toEqual([...cps.map(() => 'reset --graceful=false'), 'service etcd', 'bootstrap --recover-from', 'health --wait-timeout']);
  expect(steps.slice(0, cps.length).map((s) => s.argv[1])).toEqual(cps.map((n) => n.address));
  expect(steps[cps.length + 1].argv).toEqual(['--nodes', cp2, '--endpoints', cp2, 'bootstrap', '--recover-from', '/backups/db.snap']);
  expect(restorePlan(v.stack, { node: 'prod-cp-2', snapshot: 'x', skipHashCheck: true })[cps.length + 1].argv).toContain('--recover-skip-hash-check');
  expect(() => restorePlan(v.stack, { node: 'prod-worker-1', snapshot: 'x' })).toThrow(/not a control plane of this stack \(control planes: prod-cp-1, prod-cp-2, prod-cp-3\)/);
});

test('executed: argv only (a path with shell characters stays one argument), the talosconfig in a 0600 file removed after, polling until Preparing', async () => {
  const v = example('prod');
  const snapshot = join(dir, 'db $(touch pwned); rm -rf ~.snap');
  const steps = restorePlan(v.stack, { node: 'prod-cp-1', snapshot });
  const calls: string[][] = [];
  let configFile = '';
  let polls = 0;
  await executeRestore(steps, 'context: prod\n', async (argv) => {
    calls.push(argv);
    configFile = argv[1];
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(configFile, 'utf8')).toBe('context: prod\n');
    if (argv.includes('service')) return { code: 0, stdout: `NODE     x\nID       etcd\nSTATE    ${++polls < 3 ? 'Waiting' : 'Preparing'}\n` };
    return { code: 0, stdout: '' };
  }, { pollMs: 1, log: () => {} });
  expect(polls).toBe(3);
  expect(calls.find((c) => c.includes('bootstrap'))).toEqual(['--talosconfig', configFile, ...steps[4].argv]);
  expect(calls.find((c) => c.includes('bootstrap'))).toContain(snapshot);
  expect(() => statSync(configFile)).toThrow(/ENOENT/);
});

test('a failing step stops the restore there; nothing after it runs', async () => {
  const steps = restorePlan(example('prod').stack, { node: 'prod-cp-1', snapshot: '/s' });
  const calls: string[][] = [];
  await expect(executeRestore(steps, 'x', async (argv) => {
    calls.push(argv);
    return { code: argv.includes('reset') && calls.length === 2 ? 1 : 0, stdout: '' };
  }, { log: () => {} })).rejects.toThrow(/wipe etcd data on prod-cp-2 .*exited 1/);
  expect(calls).toHaveLength(2);
});

test('the CLI: prints the plan without --execute; with it, runs talosctl from PATH with the stack\'s talosconfig', async () => {
  const snap = join(dir, 'db.snap');
  writeFileSync(snap, 'snapshot');
  let out = '';
  expect(await run(['--stack', 'prod', '--node', 'prod-cp-1', '--snapshot', snap], { stdin: () => '', out: (s) => { out += s; }, run: talosctlRunner })).toBe(0);
  expect(out).toMatch(/^1\. wipe etcd data on prod-cp-1/);
  expect(out).toContain(`bootstrap --recover-from ${snap}`);

  // the stand-in answers every call, records it, and prints Preparing for `service etcd`
  const bin = join(dir, 'bin');
  require('node:fs').mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'talosctl'), `#!/bin/sh\nprintf '%s|' "$@" >> '${dir}/calls'; echo >> '${dir}/calls'\ngrep -q 'context: prod' "$2" || exit 7\necho 'STATE    Preparing'\n`);
  chmodSync(join(bin, 'talosctl'), 0o755);
  const secrets = join(dir, 'secrets.yaml');
  writeFileSync(secrets, stringify(await testSecrets()), { mode: 0o600 });
  const path = process.env.PATH;
  process.env.PATH = `${bin}:${path}`;
  try {
    expect(await run(['--stack', 'prod', '--node', 'prod-cp-1', '--snapshot', snap, '--secrets', secrets, '--execute'], { stdin: () => '', out: () => {}, run: talosctlRunner })).toBe(0);
  } finally {
    process.env.PATH = path;
  }
  const calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  expect(calls).toHaveLength(6);
  expect(calls[4]).toMatch(new RegExp(`\\|bootstrap\\|--recover-from\\|${snap.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\|$`));
});

test('bad input: every problem at once, exit 2', async () => {
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await run(['--stack', 'prod', '--snapshot', join(dir, 'missing.snap'), '--execute'])).toBe(2);
    const text = err.mock.calls.map((c) => String(c[0])).join('');
    expect(text).toMatch(/--node is missing/);
    expect(text).toMatch(/missing\.snap: no such file/);
    expect(text).toMatch(/--execute needs the stack's secrets/);
  } finally {
    err.mockRestore();
  }
});
