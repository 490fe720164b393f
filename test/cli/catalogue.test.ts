/** bulwark explain, profiles, controls: text and JSON, filters, unknown ids. */
import { CATALOGUE } from '../../core/controls/catalogue';
import { cli } from './run';

test('explain: threat, references, per-profile status, what it configures for a stack, how it is verified', async () => {
  const r = await cli(['explain', 'k8s.apiserver.always-pull-images']);
  expect(r.code).toBe(0);
  const c = CATALOGUE.find((x) => x.id === 'k8s.apiserver.always-pull-images')!;
  expect(r.out).toContain(`Threat: ${c.threat}`);
  expect(r.out).toMatch(/single-team: waived \(One team owns every image/);
  expect(r.out).toMatch(/multi-team: required/);
  expect(r.out).toMatch(/In stack \w[\w-]* \(profile [\w-]+\): enforced/);
  expect(r.out).toMatch(/What it configures:\n {2}- .*AlwaysPullImages/);
  expect(r.out).toMatch(/^Verified: /m);

  const j = await cli(['explain', 'k8s.apiserver.always-pull-images', '--stack', 'prod', '--output', 'json']);
  const o = JSON.parse(j.out);
  expect(o).toMatchObject({ id: c.id, layer: c.layer, stack: 'prod', status: 'enforced' });
  expect(o.profiles).toEqual(expect.arrayContaining([{ profile: 'single-team', status: 'waived', reason: expect.any(String) }, { profile: 'multi-team', status: 'required' }]));
  expect(o.configures.join(' ')).toContain('AlwaysPullImages');
});

test('explain: an unknown id exits 2 with the nearest ids', async () => {
  const r = await cli(['explain', 'always-pull-image']);
  expect(r.code).toBe(2);
  expect(r.err).toBe('"always-pull-image" is not a control id; did you mean k8s.apiserver.always-pull-images? (bulwark controls lists them)\n');
  const j = await cli(['explain', 'nope-nothing-like-it', '-o', 'json']);
  expect(j.code).toBe(2);
  expect(JSON.parse(j.out)).toEqual({ error: { command: 'explain', kind: 'invalid-input', message: expect.stringContaining('is not a control id') } });
});

test('controls: every control, by layer, by profile (waived ones marked)', async () => {
  const all = JSON.parse((await cli(['controls', '-o', 'json'])).out) as { id: string; layer: string }[];
  expect(all.map((c) => c.id)).toEqual(CATALOGUE.map((c) => c.id));
  const auth = JSON.parse((await cli(['controls', '--layer', 'auth', '-o', 'json'])).out) as { layer: string }[];
  expect(auth.length).toBe(CATALOGUE.filter((c) => c.layer === 'auth').length);
  expect(auth.every((c) => c.layer === 'auth')).toBe(true);
  const single = JSON.parse((await cli(['controls', '--profile', 'single-team', '-o', 'json'])).out) as { id: string; status: string }[];
  expect(single.find((c) => c.id === 'k8s.apiserver.always-pull-images')?.status).toBe('waived');
  expect(single.some((c) => c.id === 'tenancy.quota.defaults')).toBe(false); // multi-team and up
  const text = await cli(['controls', '--layer', 'os']);
  expect(text.out.trim().split('\n').length).toBe(CATALOGUE.filter((c) => c.layer === 'os').length);
  const bad = await cli(['controls', '--profile', 'multi-teem']);
  expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('(did you mean multi-team?)')]);
  expect((await cli(['controls', '--layer', 'network'])).code).toBe(2);
});

test('profiles: each with what it extends and its threat', async () => {
  const list = JSON.parse((await cli(['profiles', '-o', 'json'])).out) as { name: string; lineage: string[]; overlay: boolean; required: number }[];
  expect(list.map((p) => p.name).sort()).toEqual(['edge', 'hostile-multi-tenant', 'multi-team', 'single-team']);
  expect(list.find((p) => p.name === 'multi-team')!.lineage).toEqual(['multi-team', 'single-team']);
  expect(list.find((p) => p.name === 'edge')!.overlay).toBe(true);
  const text = (await cli(['profiles'])).out;
  expect(text).toMatch(/^multi-team extends single-team: \d+ controls required, \d+ waived$/m);
});
