/**
 * `bulwark` as an installed package runs it: the files `npm pack` ships, laid out as npm install
 * lays them (node_modules/bulwark beside its dependencies), run through node_modules/.bin from a
 * user's directory. ts-node skips sources under node_modules/ unless the project is Bulwark's own
 * (bin/bulwark.js gives it explicitly): this test fails without that.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../core/stack';

jest.setTimeout(180_000);

test('npm pack ships bin/bulwark.js and the sources; installed, `bulwark` runs from a user directory', () => {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as { files: { path: string }[] }[];
  const files = packed[0].files.map((f) => f.path);
  expect(files).toEqual(expect.arrayContaining(['bin/bulwark.js', 'cli/main.ts', 'core/stack.ts', 'tsconfig.json', 'profiles/multi-team.yaml']));

  const user = mkdtempSync(join(tmpdir(), 'bulwark-installed-'));
  const pkg = join(user, 'node_modules', 'bulwark');
  for (const f of files) {
    mkdirSync(dirname(join(pkg, f)), { recursive: true });
    copyFileSync(join(REPO_ROOT, f), join(pkg, f));
  }
  // the dependencies beside it, as npm install puts them (hoisted)
  for (const dep of readdirSync(join(REPO_ROOT, 'node_modules'))) if (dep !== '.bin') symlinkSync(join(REPO_ROOT, 'node_modules', dep), join(user, 'node_modules', dep));
  mkdirSync(join(user, 'node_modules', '.bin'));
  symlinkSync('../bulwark/bin/bulwark.js', join(user, 'node_modules', '.bin', 'bulwark'));
  // the user's own repository: their stack, in their stacks/
  mkdirSync(join(user, 'stacks'));
  writeFileSync(join(user, 'stacks', 'Pulumi.mine.yaml'), readFileSync(join(REPO_ROOT, 'stacks', 'Pulumi.lab.yaml'), 'utf8'));

  const run = (args: string[]) => execFileSync(join(user, 'node_modules', '.bin', 'bulwark'), args, { cwd: user, encoding: 'utf8', env: { ...process.env, BULWARK_TODAY: '2026-11-26' } });
  expect(run(['--version']).trim()).toBe(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version);
  const images = JSON.parse(run(['images', '--stack', 'mine', '-o', 'json']));
  expect(images.stack).toBe('mine');
  expect(images.images.length).toBeGreaterThan(5);
});
