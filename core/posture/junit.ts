/**
 * The posture report as JUnit XML (out/<stack>/posture.junit.xml) for CI test views: one test
 * suite per layer, one test case per control. Enforced passes; a failed verification, depends and
 * not-applied fail (a control the profile requires is not in force); waived, not required and
 * not applicable are skipped with their reason. Status and judge are test-case properties. No
 * timings: the same report gives the same bytes.
 */
import type { PostureControl, PostureReport } from './report';
import { judgement, layerSummaries, statusReason } from './summary';

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;');

function outcome(c: PostureControl): { failure?: { type: string; message: string }; skipped?: string } {
  if (c.verified === 'failed') return { failure: { type: 'verification', message: judgement(c) } };
  if (c.status === 'depends' || c.status === 'not-applied') return { failure: { type: c.status, message: statusReason(c) } };
  if (c.status === 'waived' || c.status === 'not-required' || c.status === 'not-applicable') return { skipped: `${c.status}: ${statusReason(c) || c.status}` };
  return {};
}

export function postureJunit(p: PostureReport): string {
  const X: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = p.controls.map(outcome);
  const count = (os: ReturnType<typeof outcome>[]) => ({ failures: os.filter((o) => o.failure).length, skipped: os.filter((o) => o.skipped).length });
  const t = count(all);
  X.push(`<testsuites name="${attr(`bulwark posture: ${p.stack}`)}" tests="${p.controls.length}" failures="${t.failures}" errors="0" skipped="${t.skipped}">`);
  for (const s of layerSummaries(p)) {
    const cs = p.controls.filter((c) => c.layer === s.layer);
    const n = count(cs.map(outcome));
    X.push(`  <testsuite name="${attr(`${p.stack}.${s.layer}`)}" tests="${cs.length}" failures="${n.failures}" errors="0" skipped="${n.skipped}">`);
    for (const c of cs) {
      const o = outcome(c);
      X.push(`    <testcase classname="${attr(`bulwark.${p.stack}.${s.layer}`)}" name="${attr(c.id)}">`);
      X.push('      <properties>', `        <property name="status" value="${attr(c.status)}"/>`, `        <property name="judge" value="${attr(judgement(c))}"/>`, `        <property name="title" value="${attr(c.title)}"/>`, '      </properties>');
      if (o.failure) X.push(`      <failure type="${attr(o.failure.type)}" message="${attr(o.failure.message)}"/>`);
      if (o.skipped) X.push(`      <skipped message="${attr(o.skipped)}"/>`);
      X.push('    </testcase>');
    }
    X.push('  </testsuite>');
  }
  X.push('</testsuites>');
  return `${X.join('\n')}\n`;
}
