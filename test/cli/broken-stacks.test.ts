/**
 * The held-out corpus of broken stacks (test/fixtures/broken-stacks/*.yaml): each file is a stack
 * with the problems and warnings validation must report, each as key path, what was found and
 * what would be right. Every problem reported must be one of those expected (a false extra
 * message, e.g. "has no node with role controlplane" after a typo, fails the test).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { StackConfigError, editDistance, suggest } from '../../core/config/errors';
import { REPO_ROOT, loadStack } from '../../core/stack';
import { TODAY } from '../helpers';

const DIR = join(REPO_ROOT, 'test/fixtures/broken-stacks');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

interface Expected {
  path: string;
  found: string;
  expected: string;
}

function outcome(file: string): { problems: { path: string; message: string }[]; warnings: { path: string; message: string }[] } {
  try {
    const v = loadStack({ stackFile: join(DIR, file), today: TODAY });
    return { problems: [], warnings: v.warnings ?? [] };
  } catch (e) {
    if (e instanceof StackConfigError) return { problems: e.problems, warnings: [] };
    throw e;
  }
}

function matches(list: { path: string; message: string }[], want: Expected[]): void {
  for (const w of want) {
    const at = list.filter((p) => p.path === w.path);
    expect({ path: w.path, messages: at.map((p) => p.message) }).toEqual({ path: w.path, messages: expect.arrayContaining([expect.stringContaining(w.found)]) });
    expect(at.some((p) => p.message.includes(w.found) && p.message.includes(w.expected))).toBe(true);
  }
  // nothing beyond what is expected: no false consequences of the one mistake
  expect(list.map((p) => p.path).sort()).toEqual(want.map((w) => w.path).sort());
}

describe('broken stacks: every message names the key path, what was found and what would be right', () => {
  it('the corpus is there', () => expect(FILES.length).toBeGreaterThanOrEqual(12));

  it.each(FILES)('%s', (file) => {
    const spec = parse(readFileSync(join(DIR, file), 'utf8')) as { expect?: Expected[]; warnings?: Expected[] };
    const got = outcome(file);
    matches(got.problems, spec.expect ?? []);
    matches(got.warnings, spec.warnings ?? []);
  });
});

describe('did-you-mean', () => {
  it('edit distance is Levenshtein, case-insensitive', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('installdisk', 'installDisk')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', 'abc')).toBe(0);
  });

  it('suggests the nearest candidates, by trailing parts of dotted ids, and nothing when nothing is near', () => {
    const ids = ['k8s.apiserver.always-pull-images', 'k8s.apiserver.anonymous-auth', 'os.kernel.lockdown'];
    expect(suggest('always-pull-image', ids)).toEqual(['k8s.apiserver.always-pull-images']);
    expect(suggest('k8s.apiserver.anonymous-aut', ids)).toEqual(['k8s.apiserver.anonymous-auth']);
    expect(suggest('completely-different', ids)).toEqual([]);
    expect(suggest('tenant', ['tenants', 'nodes', 'cluster'])).toEqual(['tenants']);
    expect(suggest('ab', ['abc', 'xyz'])).toEqual(['abc']); // at least one edit, however short
    expect(suggest('ab', ['xyz'])).toEqual([]);
  });
});
