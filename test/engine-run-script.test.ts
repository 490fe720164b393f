/**
 * `npm run test:engine` (test/engine/run.sh) links the CLI, the provider and Node 22 into a temporary
 * PATH folder and must remove it when the run ends. It once ended in `exec`, so its EXIT trap never ran
 * and every run left a folder in /tmp. Run here with `--listTests` (jest lists the engine suite, runs
 * nothing) and a toolchain manifest of stand-ins: only the script's own set-up and clean-up are tested.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'bulwark-run-script-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const runAsRoot = process.getuid?.() === 0;
(runAsRoot ? test : test.skip)('the engine runner removes its PATH folder when the run ends, and keeps the run\'s exit status', () => {
  const cache = join(base, 'cache');
  const tmp = join(base, 'tmp');
  mkdirSync(cache);
  mkdirSync(tmp);
  // Stand-ins for the CLI and the provider: the runner only asks the CLI its version.
  const pulumi = join(cache, 'pulumi');
  writeFileSync(pulumi, '#!/bin/sh\necho v3.276.0\n');
  chmodSync(pulumi, 0o755);
  const manifest = { tools: { pulumi: { path: pulumi }, 'pulumi-resource-kubernetes': { path: pulumi }, node22: { path: process.execPath } } };
  writeFileSync(join(cache, 'manifest.json'), JSON.stringify(manifest));
  const env = { ...process.env, BULWARK_E2E_CACHE: cache, TMPDIR: tmp };
  // mktemp's folders (tmp.XXXXXXXXXX) left in TMPDIR; jest and Node keep caches there on purpose
  const leftovers = () => readdirSync(tmp).filter((f) => /^tmp\./.test(f));

  const listed = spawnSync('bash', ['test/engine/run.sh', '--listTests'], { cwd: root, env, encoding: 'utf8' });
  expect(listed.status).toBe(0);
  expect(listed.stdout).toMatch(/test\/engine\/\S+\.test\.ts/);
  expect(leftovers()).toEqual([]);

  const failed = spawnSync('bash', ['test/engine/run.sh', '--shard=2/1'] /* jest refuses it at once */, { cwd: root, env, encoding: 'utf8' });
  expect(failed.status).not.toBe(0);
  expect(leftovers()).toEqual([]);
});
