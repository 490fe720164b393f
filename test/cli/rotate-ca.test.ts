/** bulwark rotate-ca on a secrets file, and the posture's CA ages and half-done rotations (render and posture). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caAgeReport } from '../../core/posture/ca-age';
import { REPO_ROOT } from '../../core/stack';
import { readSecretsFile, writeSecretsFile } from '../../cli/secrets-file';
import { rotationPhases } from '../ca-phases';
import { testSecrets } from '../helpers';
import { cli } from './run';

const tmp = () => mkdtempSync(join(tmpdir(), 'bulwark-rotate-ca-'));

test('rotate-ca: accept, switch, drop on a secrets file; out of order and bad options refused (exit 2, every problem)', async () => {
  const file = join(tmp(), 'secrets.yaml');
  const before = await testSecrets();
  writeSecretsFile(file, before);
  const run = async (phase: string) => JSON.parse((await cli(['rotate-ca', '--stack', 'lab', '--secrets', file, '--ca', 'kubernetes', '--phase', phase, '-o', 'json'])).out);
  expect(await run('accept')).toMatchObject({ ca: 'kubernetes', phase: 'accept', changed: true, rotation: 'accept' });
  expect(await run('accept')).toMatchObject({ changed: false, rotation: 'accept' });
  const early = await cli(['rotate-ca', '--stack', 'lab', '--secrets', file, '--ca', 'kubernetes', '--phase', 'drop']);
  expect([early.code, early.err]).toEqual([2, expect.stringContaining('--phase is "drop", but the Kubernetes CA is in phase "accept": the next phase is "switch"')]);
  expect(await run('switch')).toMatchObject({ changed: true, rotation: 'switch' });
  const text = await cli(['rotate-ca', '--stack', 'lab', '--secrets', file, '--ca', 'kubernetes', '--phase', 'drop']);
  expect([text.code, text.out]).toEqual([0, expect.stringMatching(/^the kubernetes CA is no longer being rotated\.\nNext: /)]);
  const after = readSecretsFile(file);
  expect(after.caRotation).toBeUndefined();
  expect(after.certs.k8s.key).not.toBe(before.certs.k8s.key);
  expect(after.certs.os).toEqual(before.certs.os);
  const bad = await cli(['rotate-ca', '--secrets', file]);
  expect(bad.code).toBe(2);
  expect(bad.err).toContain('--stack is missing');
  expect(bad.err).toContain('--ca is missing; give kubernetes (the Kubernetes CA) or talos (the Talos API CA)');
  expect(bad.err).toContain('--phase is missing');
});

test('the posture states each CA\'s age and flags an old CA and a rotation left half-done', async () => {
  const p = await rotationPhases(await testSecrets(), ['os']);
  expect(caAgeReport(p.before, '2026-11-26').cas.map((c) => [c.title, c.notBefore, c.ageDays, c.findings])).toEqual([
    ['Kubernetes CA', '2026-01-01', 329, []],
    ['Talos API CA', '2026-01-01', 329, []],
  ]);
  const old = caAgeReport(p.before, '2029-06-01');
  expect(old.cas[0].findings).toEqual([expect.stringMatching(/^older than 1095 days: rotate it \(bulwark:caRotation.kubernetes: accept/)]);
  const half = caAgeReport(p.switch, '2026-11-26').cas[1];
  expect(half.phase).toBe('switch');
  expect(half.findings).toEqual([expect.stringMatching(/^rotation left half-done: in phase "switch" since \d{4}-\d\d-\d\d or later; next is "drop"$/)]);

  // through the CLI: posture with the stack's bundle (md and json), render's posture.md; a throwaway bundle says nothing
  const dir = tmp();
  const file = join(dir, 'secrets.yaml');
  writeSecretsFile(file, p.switch);
  const md = await cli(['posture', '--stack', 'lab', '--secrets', file]);
  expect(md.out).toMatch(/## Certificate authorities[\s\S]*\| Talos API CA \| \d{4}-\d\d-\d\d \| \d+ \| switch \| rotation left half-done/);
  const json = JSON.parse((await cli(['posture', '--stack', 'lab', '--secrets', file, '-o', 'json'])).out);
  expect(json.certificateAuthorities.cas.map((c: { phase: string }) => c.phase)).toEqual(['none', 'switch']);
  expect((await cli(['posture', '--stack', 'lab', '--out', tmp()])).out).not.toContain('Certificate authorities');
  expect((await cli(['render', '--stack', 'lab', '--secrets', file, '--out', dir])).code).toBe(0);
  expect(readFileSync(join(dir, 'lab', 'posture.md'), 'utf8')).toContain('rotation left half-done: in phase "switch"');
}, 120_000);

test('render says when bulwark:caRotation asks for another phase than the secrets file is in', async () => {
  const dir = tmp();
  const file = join(dir, 'secrets.yaml');
  writeSecretsFile(file, await testSecrets());
  const stackFile = join(dir, 'Pulumi.lab.yaml');
  writeFileSync(stackFile, `${readFileSync(join(REPO_ROOT, 'stacks/Pulumi.lab.yaml'), 'utf8').trimEnd()}\n  bulwark:caRotation: {kubernetes: accept}\n`);
  const r = await cli(['render', '--stack-file', stackFile, '--secrets', file, '--out', dir]);
  expect(r.code).toBe(0);
  expect(r.err).toContain('warning: bulwark:caRotation.kubernetes is "accept", but the secrets file\'s Kubernetes CA is not being rotated; render takes the phase from the file (bulwark rotate-ca --ca kubernetes --phase accept)');
  await cli(['rotate-ca', '--stack', 'lab', '--secrets', file, '--ca', 'kubernetes', '--phase', 'accept']);
  expect((await cli(['render', '--stack-file', stackFile, '--secrets', file, '--out', dir])).err).not.toContain('caRotation');
}, 120_000);
