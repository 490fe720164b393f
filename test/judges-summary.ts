/**
 * Jest global teardown of `npm test`: when an outside judge (talosctl, talos-compute) is absent, the tests it runs
 * were skipped; say so once, at the very end of the run, instead of only in a warning among the test output.
 */
import { absentComputeJudges, absentJudges, judgesRequired } from './talos/talosctl';

export default async function judgesSummary(): Promise<void> {
  const absent = [...new Set([...absentJudges, ...absentComputeJudges])];
  if (!absent.length || judgesRequired) return; // with BULWARK_REQUIRE_JUDGES=1 the tests themselves failed
  const line = '='.repeat(100);
  process.stdout.write(`\n${line}\nNOT JUDGED: the Talos judges are absent, so the tests that run talosctl validate, talosctl gen config and\n`
    + `Talos's own controllers (test/talos) were SKIPPED. Build them with \`npm run e2e:tools\`.\n${absent.map((a) => `  - ${a}`).join('\n')}\n${line}\n`);
}
