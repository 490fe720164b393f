/** Profiles are data: composable by `extends`, extensible by users, validated with clear errors. */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProfiles } from '../core/profiles/load';
import { REPO_ROOT } from '../core/stack';

const builtin = () => loadProfiles(join(REPO_ROOT, 'profiles'));

it('the built-in profiles resolve, each states its threat, and they stack up', () => {
  const { profiles, problems } = builtin();
  expect(problems).toEqual([]);
  expect([...profiles.keys()]).toEqual(['edge', 'hostile-multi-tenant', 'multi-team', 'single-team']);
  expect(profiles.get('hostile-multi-tenant')!.lineage).toEqual(['hostile-multi-tenant', 'multi-team', 'single-team']);
  for (const p of profiles.values()) expect(p.threat.split(/\s+/).length).toBeGreaterThan(40);
  const h = profiles.get('hostile-multi-tenant')!.settings;
  expect(h.podSecurity.enforce).toBe('restricted'); // inherited from multi-team
  expect(h.sandboxRuntime).toBe('gvisor');
  expect(h.tenantLimits.defaultRequest).toEqual({ cpu: '100m', memory: '128Mi' }); // deep-merged from single-team
  expect(profiles.get('multi-team')!.waive).toEqual([]); // single-team's waivers are not inherited
});

function withProfile(file: string, text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-profiles-'));
  cpSync(join(REPO_ROOT, 'profiles'), dir, { recursive: true });
  writeFileSync(join(dir, file), text);
  return loadProfiles(dir);
}

it('a user profile can extend a built-in one and change its settings', () => {
  const { profiles, problems } = withProfile(
    'regulated.yaml',
    'name: regulated\nextends: multi-team\nthreat: Many teams, and auditors who read everything that changes on the cluster, including request bodies.\nsettings:\n  audit: strict\n  podPidsLimit: 512\nrequire: [k8s.etcd.encryption-configmaps]\n',
  );
  expect(problems).toEqual([]);
  const p = profiles.get('regulated')!;
  expect(p.lineage).toEqual(['regulated', 'multi-team', 'single-team']);
  expect(p.settings.audit).toBe('strict');
  expect(p.settings.podSecurity.enforce).toBe('restricted');
  expect(p.require).toEqual(['k8s.etcd.encryption-configmaps']);
});

it('reports unknown parents, cycles, misnamed files and invalid settings with their file and key', () => {
  expect(withProfile('x.yaml', 'name: x\nextends: nope\nthreat: a threat description that is long enough to pass the schema check.\n').problems).toEqual([
    { path: 'profiles/x.yaml: extends', message: expect.stringMatching(/unknown profile "nope"; known: .*multi-team/) },
  ]);
  const cyc = withProfile('a.yaml', 'name: a\nextends: a\nthreat: a threat description that is long enough to pass the schema check.\n');
  expect(cyc.problems[0]).toMatchObject({ path: 'profiles/a.yaml: extends', message: expect.stringMatching(/cycle/) });
  expect(withProfile('y.yaml', 'name: z\nthreat: a threat description that is long enough to pass the schema check.\n').problems[0].message).toMatch(/named after it \(z.yaml\)/);
  const bad = withProfile('w.yaml', 'name: w\nextends: single-team\nthreat: a threat description that is long enough to pass the schema check.\nsettings:\n  audit: verbose\n');
  expect(bad.problems[0]).toMatchObject({ path: 'profiles/w.yaml: settings.audit' });
});
