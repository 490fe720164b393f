/**
 * A user's own stack in stacks/ must not make `npm test` fail: unit tests name the example stacks
 * (EXAMPLES in test/helpers.ts) instead of taking whatever stacks/ holds. (test/posture-diff.test.ts
 * copied the whole folder and counted five stacks; a sixth file broke it.)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../core/stack';

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return ['e2e', 'engine', 'fixtures'].includes(e.name) && dir === join(REPO_ROOT, 'test') ? [] : testFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

test('no unit test copies or lists the whole stacks/ folder of the checkout', () => {
  const whole = /(cpSync|readdirSync|readdir|globSync)\(\s*join\(\s*REPO_ROOT\s*,\s*'stacks'\s*\)/;
  const offenders = testFiles(join(REPO_ROOT, 'test')).filter((f) => whole.test(readFileSync(f, 'utf8'))).map((f) => f.slice(REPO_ROOT.length + 1));
  expect(offenders).toEqual([]);
});
