/**
 * A control owns what the CIS checks it cites read (core/cis/owned.ts): a config patch on such a flag or kubelet
 * setting undoes the control, naming the patch, even where the value is Talos's default rather than one Bulwark
 * rendered; the CIS row fails naming the same patch. The table is kube-bench's definitions, checked here.
 */
import { auditTarget } from '../core/cis/evaluate';
import { CIS_READS } from '../core/cis/owned';
import { StackConfigError } from '../core/config/errors';
import { CATALOGUE } from '../core/controls/catalogue';
import { diffStack } from '../core/posture/diff';
import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import { TODAY, cisChecks, exampleValues, testSecrets } from './helpers';

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** kube-bench's path forms (`{.a.b}`, `{range .a[:]}...`) as field paths. */
const fieldPath = (p: string) => (p.match(/^\{range \.([\w.]+)\[:\]\}/)?.[1] ?? p.match(/^\{\.([\w.]+)\}$/)![1]).split('.');
/** kube-bench finds a bare word (a feature gate) by substring: in the command line it sits in --feature-gates. */
const argOf = (flag: string) => (flag.startsWith('--') ? flag.slice(2) : 'feature-gates');

describe('the table is kube-bench\'s', () => {
  const checks = cisChecks().checks;
  it('each entry reads what the check\'s definition reads', () => {
    const wrong: string[] = [];
    for (const [id, r] of Object.entries(CIS_READS)) {
      const c = checks.find((x) => x.id === id)!;
      const want = {
        component: auditTarget(c),
        flags: [...new Set(c.items.flatMap((i) => (i.flag ? [argOf(i.flag)] : [])))],
        config: [...new Set(c.items.flatMap((i) => (i.path ? [JSON.stringify(fieldPath(i.path))] : [])))].map((p) => JSON.parse(p)),
      };
      const got = { component: r.component, flags: r.flags, config: r.config ?? [] };
      if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${id}: table ${JSON.stringify(got)}, kube-bench ${JSON.stringify(want)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('it has exactly the process checks the catalogue cites', () => {
    const cited = [...new Set(CATALOGUE.flatMap((c) => c.references.cis ?? []))].filter((id) => {
      const c = checks.find((x) => x.id === id)!;
      const t = auditTarget(c);
      return t && t !== 'encryption' && c.items.some((i) => i.flag || i.path);
    });
    expect(Object.keys(CIS_READS).sort()).toEqual(cited.sort());
  });
});

function lab(contract: '1.13' | '1.14', patches: Values): Values {
  const v = exampleValues('lab') as Values;
  v.cluster.contract = contract;
  v.cluster.talosVersion = contract === '1.13' ? 'v1.13.9' : 'v1.14.1';
  v.patches = patches;
  return v;
}
const render = async (name: string, v: Values) => renderStack(validateValues(name, v, { today: TODAY }), await testSecrets(), { cis: cisChecks() });

describe('a patch on what a cited check reads undoes the control', () => {
  it('contract 1.13: anonymous-auth on the API server (Talos\'s default, not Bulwark\'s flag) undoes auth.anonymous.health-only; CIS 1.2.1 fails; weaker', async () => {
    const base = await render('lab', lab('1.13', {}));
    const head = await render('lab', lab('1.13', { controlplane: [{ cluster: { apiServer: { extraArgs: { 'anonymous-auth': 'true' } } } }] }));
    const c = head.posture.controls.find((x) => x.id === 'auth.anonymous.health-only')!;
    expect(c).toMatchObject({ status: 'depends', reason: expect.stringContaining('bulwark:patches.controlplane[0] changes v1alpha1 cluster.apiServer.extraArgs.anonymous-auth on lab-cp-1') });
    expect(head.posture.cis.results.find((r) => r.id === '1.2.1')).toMatchObject({ verdict: 'fail', patches: ['bulwark:patches.controlplane[0]'] });
    const d = diffStack('lab', { state: 'ok', posture: base.posture }, { state: 'ok', posture: head.posture });
    expect(d.verdict).toBe('weaker');
    expect(d.controls.map((x) => x.control)).toEqual(['auth.anonymous.health-only']);
  });

  it('contract 1.14: disabling an admission plugin undoes k8s.apiserver.admission-plugins; CIS 1.2.12 fails naming the patch', async () => {
    const head = await render('lab', lab('1.14', { controlplane: [{ apiVersion: 'v1alpha1', kind: 'KubeAPIServerConfig', extraArgs: { 'disable-admission-plugins': 'ServiceAccount' } }] }));
    expect(head.posture.controls.find((x) => x.id === 'k8s.apiserver.admission-plugins')).toMatchObject({ status: 'depends', reason: expect.stringContaining('KubeAPIServerConfig extraArgs.disable-admission-plugins') });
    expect(head.posture.cis.results.find((r) => r.id === '1.2.12')).toMatchObject({ verdict: 'fail', patches: ['bulwark:patches.controlplane[0]'] });
  });

  it('hostile-multi-tenant refuses a patch on a kubelet feature gate a cited check reads, naming the control', async () => {
    const v = exampleValues('saas') as Values;
    v.patches = { worker: [{ apiVersion: 'v1alpha1', kind: 'KubeletConfig', config: { featureGates: { RotateKubeletServerCertificate: false } } }] };
    let problems: { path: string; message: string }[] = [];
    try {
      await render('saas', v);
    } catch (e) {
      if (!(e instanceof StackConfigError)) throw e;
      problems = e.problems;
    }
    expect(problems).toEqual([{ path: 'bulwark:patches.worker[0]', message: expect.stringMatching(/^changes KubeletConfig config\.featureGates\.RotateKubeletServerCertificate \(node saas-[a-z0-9-]+(, saas-[a-z0-9-]+)*\), which control k8s\.kubelet\.serving-certificates owns/) }]);
  });
});
