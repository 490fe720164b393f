/**
 * Error messages quote the user's values, but never a huge one in full: a 100 kB group name
 * printed back buries every other problem (and floods CI logs). Values are cut with an
 * ellipsis and their full length; key paths and whole messages have a ceiling too.
 */
import { MAX_QUOTED, quote } from '../core/config/errors';

import { configProblems, exampleValues } from './helpers';

const problems = (values: Record<string, unknown>) => configProblems(values);

const HUGE = 100_000;

describe('huge values in error messages', () => {
  it('are cut to a readable length with an ellipsis and the full length, at every kind of problem', () => {
    const v = structuredClone(exampleValues('prod')) as Record<string, any>;
    v.tenants[0].groups = [`system:${'a'.repeat(HUGE)}`]; // fails groupName (too long), echoed by fields.ts
    v.oidc.clientId = 'c'.repeat(HUGE); // valid characters, not among the audiences: echoed by validate.ts
    v.waivers = [{ control: 'x'.repeat(HUGE), reason: 'long enough to be a reason' }];
    v.profile = 'p'.repeat(HUGE);
    v.cluster.kubernetesVersion = `v1.${'9'.repeat(HUGE)}.0`; // matches the version pattern, echoed by the support check
    v.nodes[0].role = 'r'.repeat(HUGE); // enum: zod's invalid_value
    v.nodes[1][`k${'b'.repeat(HUGE)}`] = 1; // unknown key, echoed in message and nowhere else
    v[`k${'k'.repeat(HUGE)}`] = 1; // unknown top-level key: lands in the key path itself
    const list = problems(v);
    expect(list.length).toBeGreaterThanOrEqual(8);
    for (const p of list) {
      expect(p.path.length).toBeLessThan(400);
      expect(p.message.length).toBeLessThan(1100);
    }
    const at = (path: string) => list.find((p) => p.path === path)?.message ?? `(no problem at ${path})`;
    expect(at('bulwark:oidc.clientId')).toMatch(new RegExp(`^"c{${MAX_QUOTED}}…" \\(${HUGE} characters\\) is not among`));
    expect(at('bulwark:waivers[0].control')).toContain(`"${'x'.repeat(MAX_QUOTED)}…" (${HUGE} characters)`);
    expect(at('bulwark:profile')).toContain(`(${HUGE} characters)`);
    expect(at('bulwark:nodes[0].role')).toContain(`(${HUGE} characters); it must be one of "controlplane", "worker"`);
    expect(at('bulwark:tenants[0].groups[0]')).toContain(`(${HUGE + 7} characters)`);
    expect(at('bulwark:nodes[1]')).toContain(`(${HUGE + 1} characters)`);
    expect(list.some((p) => p.path.startsWith('bulwark["kkk') && p.path.includes(`(${HUGE + 1} characters)`))).toBe(true);
    expect(list.find((p) => p.path === 'bulwark:cluster.kubernetesVersion')?.message).toContain('characters)');
  });

  it('short values are quoted exactly as before, control characters escaped', () => {
    expect(quote('paranoid')).toBe('"paranoid"');
    expect(quote('a\u0000b')).toBe('"a\\u0000b"');
    expect(quote(42)).toBe('42');
    // cut by code points: an emoji is never split into half a surrogate pair
    expect(quote('😀'.repeat(MAX_QUOTED + 1))).toBe(`"${'😀'.repeat(MAX_QUOTED)}…" (${MAX_QUOTED + 1} characters)`);
  });
});
