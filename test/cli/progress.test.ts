/**
 * Progress of long operations: on stderr only, never in stdout or a rendered file; per tenth of the
 * nodes off a terminal once a stage has taken a second (also without --progress), one line rewritten
 * in place on a terminal; nothing with --quiet or --output json. The clock is the command's Io, so
 * "it takes long" is a clock that advances, not a timed assertion.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { generatedStack } from '../../bench/generate';
import { Io, progress } from '../../cli/io';
import { writeSecretsFile } from '../../cli/secrets-file';
import { testSecrets } from '../helpers';
import { cli } from './run';

/** A clock that advances `stepMs` each time it is read. */
const clock = (stepMs: number) => {
  let t = Date.UTC(2026, 10, 26);
  return () => new Date((t += stepMs));
};

const capture = (tty: boolean, now: () => Date) => {
  let err = '';
  const io: Io = { out: () => { throw new Error('progress wrote to stdout'); }, err: (s) => void (err += s), stdin: () => '', now, cwd: '/', tty };
  return { io, err: () => err };
};

const run300 = (p: ReturnType<typeof progress>) => {
  for (let i = 0; i < 300; i++) p.count('nodes rendered', i, 300);
  p.count('nodes rendered', 300, 300);
};

describe('progress()', () => {
  test('off a terminal, a slow counted stage prints a line per tenth, even without --progress; steps only with --progress', () => {
    const c = capture(false, clock(50)); // 300 nodes × 50 ms: 15 s
    const p = progress(c.io, { output: 'text' });
    p('validating'); // a step: not shown off a terminal without --progress
    run300(p);
    const lines = c.err().trimEnd().split('\n');
    expect(lines.map((l) => l.replace(/^\[bulwark [\d.]+s\] /, ''))).toEqual([30, 60, 90, 120, 150, 180, 210, 240, 270, 300].map((n) => `nodes rendered ${n}/300`));
  });

  test('a quick stage says nothing off a terminal (no noise in logs)', () => {
    const c = capture(false, clock(1)); // 300 ms in all
    run300(progress(c.io, { output: 'text' }));
    expect(c.err()).toBe('');
  });

  test('--quiet and --output json: nothing, however long', () => {
    for (const g of [{ output: 'text' as const, quiet: true }, { output: 'json' as const }]) {
      const c = capture(true, clock(50));
      const p = progress(c.io, g);
      p('validating');
      run300(p);
      expect(c.err()).toBe('');
    }
  });

  test('on a terminal: one line rewritten in place (at most ten times a second), ended before the next step', () => {
    const c = capture(true, clock(10));
    const p = progress(c.io, { output: 'text' });
    run300(p);
    p('writing files');
    const text = c.err();
    const draws = text.split('\r').slice(1);
    expect(draws.length).toBeGreaterThan(10);
    expect(draws.length).toBeLessThan(40); // 300 calls, 3 s: redrawn ~every 100 ms, not 300 times
    expect(draws[draws.length - 1]).toMatch(/^\[bulwark [\d.]+s\] nodes rendered 300\/300\x1b\[K\n\[bulwark [\d.]+s\] writing files\n$/);
  });
});

describe('bulwark render of 300 nodes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-progress-'));
  const stackFile = join(dir, 'Pulumi.big.yaml');
  const secrets = join(dir, 'secrets.yaml');
  beforeAll(async () => {
    process.env.BULWARK_TODAY = '2026-11-26';
    const values = generatedStack(300, 5);
    writeFileSync(stackFile, stringify({ config: Object.fromEntries(Object.entries(values).map(([k, v]) => [`bulwark:${k}`, v])) }));
    writeSecretsFile(secrets, await testSecrets());
  });
  const files = (root: string) => {
    const out: Record<string, string> = {};
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(join(d, e.name)) : (out[relative(root, join(d, e.name))] = readFileSync(join(d, e.name), 'utf8'));
    };
    walk(root);
    return out;
  };

  test('a slow render says how far it is on stderr; stdout and the files are the same bytes as a quiet one', async () => {
    const slow = await cli(['render', '--stack-file', stackFile, '--out', join(dir, 'a'), '--secrets', secrets, '-o', 'json', '--progress'], { now: clock(20) });
    expect(slow.code).toBe(0);
    expect(slow.err).toMatch(/^\[bulwark [\d.]+s\] rendering 300 node\(s\) and 5 tenant\(s\)\n(\[bulwark [\d.]+s\] nodes rendered \d+\/300\n){10}/m);
    const quiet = await cli(['render', '--stack-file', stackFile, '--out', join(dir, 'b'), '--secrets', secrets, '-o', 'json', '--quiet'], { now: clock(20) });
    expect(quiet.err).toBe('');
    expect(quiet.out.replace(join(dir, 'b'), '<dir>')).toBe(slow.out.replace(join(dir, 'a'), '<dir>'));
    expect(files(join(dir, 'b', 'big'))).toEqual(files(join(dir, 'a', 'big')));
    // without --progress, off a terminal: only the counted stage, once it is slow; the human summary on stdout
    const plain = await cli(['render', '--stack-file', stackFile, '--out', join(dir, 'c'), '--secrets', secrets], { now: clock(20) });
    expect(plain.err.trimEnd().split('\n').every((l) => /^\[bulwark [\d.]+s\] nodes rendered \d+\/300$/.test(l))).toBe(true);
    expect(plain.out).toMatch(/^rendered stack big/);
  }, 120_000);
});
