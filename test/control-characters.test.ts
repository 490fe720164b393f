/**
 * Issue 11, item 14 (the part the cluster-object writer does not reach): machine configs are
 * written by the yaml package, which passes C1 controls, DEL and U+2028 raw, and go-yaml (what
 * Talos reads with) folds or refuses them. So no string of a stack may hold one: validation
 * refuses it at its key path, before anything renders.
 */
import { stringify } from 'yaml';

import { configProblems, exampleValues } from './helpers';

type Values = Record<string, any>;
const problemsOf = (values: Values) => configProblems(values, { name: 'cc' });

test('the writer of machine configs would pass them raw (why validation must refuse them)', () => {
  expect(stringify({ g: 'a\u0085b' })).toContain('\u0085');
});

test.each([
  ['NEL', '\u0085'], ['C1 CSI', '\u009b'], ['DEL', '\u007f'], ['BEL', '\u0007'], ['line separator', '\u2028'], ['BOM', '\ufeff'], ['lone surrogate', '\ud800'],
])('%s in a group name is refused at its key path, and the rest still validates', (_what, ch) => {
  const v = exampleValues('prod') as Values;
  v.oidc.platformAdminGroups = [`platform${ch}admins`];
  v.tenants[1].name = 'Bad Name'; // a second, unrelated problem is still reported
  const problems = problemsOf(v);
  expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['bulwark:oidc.platformAdminGroups[0]', 'bulwark:tenants[1].name']));
  const p = problems.find((x) => x.path === 'bulwark:oidc.platformAdminGroups[0]' && /control character/.test(x.message))!;
  expect(p.message).toMatch(/^holds the control character U\+[0-9A-F]{4} at position 9; remove it/);
});

test('tabs and line breaks (PEM blocks, CEL expressions) and astral characters are fine', () => {
  const v = exampleValues('prod') as Values;
  v.oidc.issuers[0].claimValidationRules = [{ expression: "claims.iss ==\n\t'x'", message: 'ok 😀' }];
  expect(problemsOf(v)).toEqual([]);
});
