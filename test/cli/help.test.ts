/** bulwark --help, every subcommand's --help, --version, and the exit codes of bad usage. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Option } from 'commander';
import { buildProgram } from '../../cli/main';
import { defaultIo } from '../../cli/io';
import { REPO_ROOT } from '../../core/stack';
import { cli } from './run';

const COMMANDS = ['render', 'posture', 'diff', 'explain', 'profiles', 'controls', 'break-glass', 'rotate-encryption-key', 'rotate-ca', 'images', 'drift', 'restore-etcd', 'completion'];

test('bulwark --help lists every subcommand, the global options and the exit codes', async () => {
  const r = await cli(['--help']);
  expect(r.code).toBe(0);
  for (const c of COMMANDS) expect(r.out).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  for (const o of ['--output <format>', '--quiet', '--progress', '--version']) expect(r.out).toContain(o);
  expect(r.out).toContain('3 a --fail-on gate failed');
});

test.each(COMMANDS)('bulwark %s --help describes every option it has', async (name) => {
  const r = await cli([name, '--help']);
  expect(r.code).toBe(0);
  const cmd = buildProgram(defaultIo(), { code: 0 }).commands.find((c) => c.name() === name)!;
  for (const o of cmd.options as Option[]) {
    expect(o.description.length).toBeGreaterThan(10);
    expect(r.out).toContain(o.long!);
  }
  expect(r.out).toContain('--output <format>'); // the global options are shown on each
});

test('--version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  const r = await cli(['--version']);
  expect([r.code, r.out.trim()]).toEqual([0, version]);
});

test('bad usage exits 2 and says what would be right', async () => {
  const typo = await cli(['rendr']);
  expect(typo.code).toBe(2);
  expect(typo.err).toMatch(/unknown command 'rendr'[\s\S]*Did you mean render\?/);
  const opt = await cli(['render', '--stak', 'lab']);
  expect(opt.code).toBe(2);
  expect(opt.err).toMatch(/unknown option '--stak'[\s\S]*Did you mean --stack\?/);
  const choice = await cli(['posture', '--stack', 'lab', '--format', 'yaml']);
  expect(choice.code).toBe(2);
  expect(choice.err).toContain("Allowed choices are md, json");
  expect((await cli([])).code).toBe(2); // no command: the help, as an error
  const both = await cli(['images']);
  expect([both.code, both.err]).toEqual([2, 'give exactly one of --stack or --stack-file (--stack <name> or --stack-file <path>)\n']);
});

test('package.json: bin is bin/bulwark.js and the npm scripts are thin aliases of it', () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  expect(pkg.bin).toEqual({ bulwark: 'bin/bulwark.js' });
  for (const [script, sub] of [['render', 'render'], ['posture', 'posture'], ['posture:diff', 'diff'], ['images', 'images'], ['break-glass', 'break-glass'], ['rotate-encryption-key', 'rotate-encryption-key'], ['rotate-ca', 'rotate-ca'], ['drift', 'drift'], ['restore-etcd', 'restore-etcd']])
    expect(pkg.scripts[script]).toBe(`node bin/bulwark.js ${sub}`);
  expect(readFileSync(join(REPO_ROOT, 'bin/bulwark.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
});

test('npx bulwark works in the checkout (npm exec finds the package\'s own bin)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const out = execFileSync('npx', ['--no-install', 'bulwark', '--version'], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(out.trim()).toBe(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version);
}, 120_000);

test('every control id a help text names is in the catalogue (an example that does not exist misleads)', async () => {
  const { CATALOGUE } = await import('../../core/controls/catalogue');
  const ids = new Set(CATALOGUE.map((c) => c.id));
  const named: string[] = [];
  for (const args of [['--help'], ...COMMANDS.map((c) => [c, '--help'])]) {
    const text = (await cli(args)).out.replace(/\s*\n\s*/g, ' '); // help wraps lines; an id may be split only at spaces
    named.push(...(text.match(/\b(?:os|runtime|k8s|tenancy|auth)\.[a-z0-9-]+(?:\.[a-z0-9-]+)+/g) ?? []));
  }
  expect(named.length).toBeGreaterThan(0);
  expect(named.filter((id) => !ids.has(id))).toEqual([]);
});
