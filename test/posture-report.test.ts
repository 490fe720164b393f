/**
 * The posture report's renderings (core/posture/*): Markdown a reviewer reads in a minute (summary
 * first, nothing said twice), a self-contained HTML page, SARIF 2.1.0 valid against the official
 * schema (the copy @microsoft/jest-sarif ships, validated by ajv), JUnit XML a CI test view reads.
 * Same report, same bytes; no secret in any of them.
 */
import { readFileSync } from 'node:fs';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { POSTURE_FORMATS, PostureFormat, postureFiles, renderPosture } from '../core/posture/formats';
import { pictureLayout } from '../core/posture/html';
import type { PostureReport } from '../core/posture/report';
import { layerSummaries } from '../core/posture/summary';
import { renderStack, renderedFiles } from '../core/render/index';
import type { SecretsBundle } from '../core/secrets/bundle';
import { validateValues } from '../core/stack';
import { EXAMPLES, TODAY, cisChecks, example, exampleValues, testSecrets } from './helpers';

const SCHEMA = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
// the schema's language-tag pattern is not valid in Unicode mode (a stray ']'): ajv compiles it as the schema's authors did
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validSarif = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')));

const VERIFICATION = {
  kubernetesVersion: 'v1.36.3',
  stacks: Object.fromEntries(
    ['lab', 'prod', 'saas', 'edge-store', 'airgap'].map((s) => [
      s,
      {
        profile: 'x',
        claims: [
          { claim: 'anonymous 401', controls: ['auth.anonymous.health-only'], status: 'verified' as const },
          { claim: 'secret encrypted in etcd', controls: ['k8s.etcd.encryption-at-rest'], status: 'failed' as const, detail: 'plaintext in etcd' },
          { claim: 'cross-tenant traffic denied', controls: ['tenancy.network.default-deny'], status: 'verified' as const, judge: 'cyclonus v0.5.6' },
        ],
      },
    ]),
  ),
};

let secrets: SecretsBundle;
beforeAll(async () => {
  secrets = await testSecrets();
});
const posture = (name: string, change?: (v: Record<string, unknown>) => void): PostureReport => {
  const v = exampleValues(name);
  change?.(v);
  return renderStack(validateValues(name, v, { today: TODAY }), secrets, { cis: cisChecks(), verification: VERIFICATION }).posture;
};

describe('Markdown', () => {
  test('prod: summary (one row per layer, counts and judges) before the controls; each status explained once; no line said twice', () => {
    const p = posture('prod');
    const md = renderPosture(p, 'md');
    expect(md.indexOf('## Summary')).toBeLessThan(md.indexOf('## Controls'));
    for (const s of layerSummaries(p)) {
      const c = s.counts;
      const n = (x: number) => (x ? String(x) : '·');
      expect(md).toContain(`| ${s.layer} | **${c.enforced}** | ${n(s.verified)} | ${n(s.notVerified)} | ${n(c.depends)} | ${n(c['not-applied'])} | ${n(c.waived)} | ${n(c['not-required'])} | ${n(c['not-applicable'])} | ${s.judges.join(', ') || '—'} |`);
      expect(s.counts.enforced + s.counts['not-required'] + s.counts['not-applicable'] + s.counts.waived + s.counts.depends + s.counts['not-applied']).toBe(p.controls.filter((x) => x.layer === s.layer).length);
    }
    expect(md).toContain('| tenancy | **');
    expect(md).toMatch(/\| tenancy \|[^\n]*\| cyclonus v0\.5\.6 \|/);
    expect(md).toMatch(/\| kubernetes \|[^\n]*\| kube-apiserver v1\.36\.3 \|/);
    expect(md).toContain('## Failed against a real system\n\n- `k8s.etcd.encryption-at-rest` — failed (kube-apiserver v1.36.3)');
    expect(md.match(/\*\*enforced\*\*:/g)).toHaveLength(1);
    // before: the Talos file-check paragraph 31 times, "manual check in CIS 1.12" 28 times, and 536 lines
    // (a table header per layer is structure, not a repeated explanation)
    const long = md.split('\n').filter((l) => l.length >= 60 && !/^\|---/.test(l) && !l.startsWith('| Control | Status |'));
    const repeated = long.filter((l, i) => long.indexOf(l) !== i);
    expect(repeated).toEqual([]);
    const sentences = md.split(/(?<=[.!?])\s+/).filter((s) => s.length >= 80);
    expect(sentences.filter((s, i) => sentences.indexOf(s) !== i)).toEqual([]);
    expect(md.split('\n').length).toBeLessThan(400);
  });

  test('a waiver and a missing link of the chain are listed with their reasons', () => {
    const p = posture('prod', (v) => {
      v.waivers = [{ control: 'k8s.kubelet.pod-pids-limit', reason: 'bursty batch jobs fork thousands of processes', expires: '2027-01-31' }];
      (v.cluster as Record<string, unknown>).cni = 'none';
    });
    const md = renderPosture(p, 'md');
    expect(md).toContain('## Waivers\n\n- `k8s.kubelet.pod-pids-limit` — waived by stack, expires 2027-01-31: bursty batch jobs fork thousands of processes');
    expect(md).toMatch(/## Configured or required, but not enforced\n\n- `tenancy\.network\.default-deny` — depends on a CNI that enforces NetworkPolicy/);
  });
});

describe.each(EXAMPLES)('%s: every format', (name) => {
  test('same report, same bytes; render writes each; no secret', () => {
    const p = posture(name);
    const again = posture(name);
    for (const f of Object.keys(POSTURE_FORMATS) as PostureFormat[]) expect(renderPosture(p, f)).toBe(renderPosture(again, f));
    const files = renderedFiles(renderStack(example(name), secrets));
    for (const f of Object.values(POSTURE_FORMATS)) expect(files.some((x) => x.path === f.file && !x.secret)).toBe(true);
    const texts = postureFiles(p).map((f) => f.content).join('\n');
    const needles: string[] = [];
    const walk = (v: unknown) => (typeof v === 'string' ? v.length >= 16 && needles.push(v) : v && typeof v === 'object' && Object.values(v).forEach(walk));
    walk(secrets);
    for (const s of needles) expect(texts.includes(s)).toBe(false);
    expect(texts).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
  });

  test('SARIF 2.1.0, valid against the schema: waived (suppressed, with reason), depends, not-applied and failed controls are results', () => {
    const p = posture(name, (v) => {
      v.waivers = [{ control: 'k8s.kubelet.pod-pids-limit', reason: 'bursty batch jobs fork thousands of processes', expires: '2027-01-31' }];
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const log: any = JSON.parse(renderPosture(p, 'sarif'));
    const valid: boolean = validSarif(log);
    if (!valid) throw new Error(ajv.errorsText(validSarif.errors));
    // and the schema does judge: a result without its message, or a wrong level, is refused
    expect(validSarif({ ...log, runs: [{ ...log.runs[0], results: [{ ruleId: 'x', level: 'fatal', message: { text: 'm' } }] }] })).toBe(false);
    expect(validSarif({ ...log, version: '2.0.0' })).toBe(false);
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(p.controls.map((c) => c.id));
    const expected = p.controls.filter((c) => c.verified === 'failed' || ['waived', 'depends', 'not-applied'].includes(c.status));
    expect(run.results.map((r: { ruleId: string }) => r.ruleId)).toEqual(expected.map((c) => c.id));
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
    const pids = run.results.find((r: { ruleId: string }) => r.ruleId === 'k8s.kubelet.pod-pids-limit');
    if (p.controls.find((c) => c.id === 'k8s.kubelet.pod-pids-limit')!.status === 'waived') {
      expect(pids.level).toBe('note');
      expect(pids.suppressions).toEqual([{ kind: 'external', status: 'accepted', justification: 'waived by stack until 2027-01-31: bursty batch jobs fork thousands of processes' }]);
      expect(pids.locations[0].physicalLocation.artifactLocation.uri).toBe(`stacks/Pulumi.${name}.yaml`);
    }
    const etcd = run.results.find((r: { ruleId: string }) => r.ruleId === 'k8s.etcd.encryption-at-rest');
    if (etcd) expect(etcd.level).toBe('error');
    for (const r of run.results.filter((x: { properties: { status: string } }) => ['depends', 'not-applied'].includes(x.properties.status))) expect(r.level).toBe('warning');
  });

  test('JUnit XML: well-formed, a suite per layer, a test case per control; failing, skipped and passing as the status says', () => {
    const p = posture(name);
    const xml = renderPosture(p, 'junit');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (tag) => ['testsuite', 'testcase', 'property'].includes(tag) }).parse(xml);
    const suites = doc.testsuites.testsuite as { name: string; tests: string; failures: string; skipped: string; testcase: { name: string; failure?: { type: string; message: string }; skipped?: { message: string } }[] }[];
    expect(suites.map((s) => s.name)).toEqual(layerSummaries(p).map((s) => `${name}.${s.layer}`));
    const cases = suites.flatMap((s) => s.testcase);
    expect(cases.map((c) => c.name)).toEqual(p.controls.map((c) => c.id));
    expect(Number(doc.testsuites.tests)).toBe(p.controls.length);
    for (const [i, c] of p.controls.entries()) {
      const tc = cases[i];
      if (c.verified === 'failed' || c.status === 'depends' || c.status === 'not-applied') expect(tc.failure).toBeDefined();
      else if (c.status === 'enforced') expect(tc.failure ?? tc.skipped).toBeUndefined();
      else expect(tc.skipped?.message).toMatch(new RegExp(`^${c.status}: `));
    }
    expect(Number(doc.testsuites.failures)).toBe(cases.filter((c) => c.failure).length);
    expect(cases.find((c) => c.name === 'k8s.etcd.encryption-at-rest')?.failure?.type).toBe(p.controls.find((c) => c.id === 'k8s.etcd.encryption-at-rest')!.verified === 'failed' ? 'verification' : undefined);
  });

  test('HTML: self-contained (no script, link, src, url()), one picture row per layer, one square per control', () => {
    const p = posture(name);
    const html = renderPosture(p, 'html');
    expect(html.startsWith('<!DOCTYPE html>\n')).toBe(true);
    expect(html).not.toMatch(/<script|<link|\bsrc=|\bhref=|url\(|@import|<iframe|<img/i);
    expect(html.match(/https?:\/\/[^\s"<]+/g) ?? []).toEqual([]);
    const layout = pictureLayout(p);
    for (const s of layerSummaries(p)) {
      const group = new RegExp(`<g id="layer-${s.layer}" data-layer="${s.layer}" data-controls="(\\d+)">([^]*?)</g>`).exec(html);
      expect(group).not.toBeNull();
      expect(Number(group![1])).toBe(p.controls.filter((c) => c.layer === s.layer).length);
      expect(group![2].match(/data-control="/g)?.length).toBe(Number(group![1]));
    }
    expect(layout.cells.map((c) => c.control).sort()).toEqual(p.controls.map((c) => c.id).sort());
  });
});

describe('bulwark posture --format', () => {
  test.each(['html', 'sarif', 'junit'] as const)('%s prints the same bytes render writes', async (format) => {
    const { main } = await import('../cli/posture');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    let out = '';
    // an empty --out: a throwaway bundle (the posture does not depend on it)
    expect(await main(['--stack', 'lab', '--out', mkdtempSync(join(tmpdir(), 'bulwark-posture-')), '--format', format], (s) => (out += s))).toBe(0);
    expect(out).toBe(renderPosture(renderStack(example('lab'), secrets, { cis: cisChecks() }).posture, format));
  });
});
