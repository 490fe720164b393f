/**
 * The posture's CIS table is the patched configuration's, like its controls (test/patches-posture.test.ts): a
 * patch that sets a flag kube-bench checks makes the check fail and names the patch, the control that owns the
 * flag goes not-enforced naming the same patch, and the posture diff says weaker. Checks are judged on every node
 * they apply to, so a patch on one worker shows. Talos's controllers judge the patched results in
 * test/talos/patched-cis.test.ts.
 */
import { parseAllDocuments } from 'yaml';
import { configInputs, planInputs } from '../core/cis/model';
import { StackConfigError } from '../core/config/errors';
import { diffStack } from '../core/posture/diff';
import { postureHtml } from '../core/posture/html';
import { postureMarkdown } from '../core/posture/report';
import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import { TODAY, cisChecks, exampleValues, testSecrets } from './helpers';
import { variants } from './talos/variants';

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Contract = '1.13' | '1.14';

function lab(contract: Contract, patch?: (v: Values) => void): Values {
  const v = exampleValues('lab') as Values;
  v.cluster.contract = contract;
  v.cluster.talosVersion = contract === '1.13' ? 'v1.13.9' : 'v1.14.1';
  patch?.(v);
  return v;
}

async function render(v: Values) {
  return renderStack(validateValues('lab', v, { today: TODAY }), await testSecrets(), { cis: cisChecks() });
}

/** Where each contract's API server extra args live, as a strategic merge patch. */
const apiServerArgs = (contract: Contract, extraArgs: Record<string, string>) =>
  contract === '1.13' ? { cluster: { apiServer: { extraArgs } } } : { apiVersion: 'v1alpha1', kind: 'KubeAPIServerConfig', extraArgs };

const kubeletConfig = (contract: Contract, config: Record<string, unknown>) =>
  contract === '1.13' ? { machine: { kubelet: { extraConfig: config } } } : { apiVersion: 'v1alpha1', kind: 'KubeletConfig', config };

const cisRow = (r: Awaited<ReturnType<typeof render>>, id: string) => r.posture.cis.results.find((x) => x.id === id)!;
const control = (r: Awaited<ReturnType<typeof render>>, id: string) => r.posture.controls.find((x) => x.id === id)!;

describe.each(['1.13', '1.14'] as const)('contract %s', (contract) => {
  it('a patch turning API server profiling on: CIS 1.2.15 fails naming the patch, k8s.apiserver.profiling-off is not enforced, the diff says weaker', async () => {
    const base = await render(lab(contract));
    const head = await render(lab(contract, (v) => (v.patches = { controlplane: [apiServerArgs(contract, { profiling: 'true' })] })));
    expect(cisRow(base, '1.2.15')).toMatchObject({ verdict: 'pass' });
    expect(cisRow(base, '1.2.15').patches).toBeUndefined();
    expect(cisRow(head, '1.2.15')).toMatchObject({
      verdict: 'fail',
      patches: ['bulwark:patches.controlplane[0]'],
      reason: 'config patch: bulwark:patches.controlplane[0] changes it on lab-cp-1 (pass as Bulwark rendered it): --profiling=true (command line)',
    });
    expect(control(head, 'k8s.apiserver.profiling-off')).toMatchObject({ status: 'depends', reason: expect.stringContaining('bulwark:patches.controlplane[0] changes') });
    // nothing else of the CIS table moved
    expect(head.posture.cis.results.filter((r) => r.verdict !== cisRow(base, r.id).verdict).map((r) => r.id)).toEqual(['1.2.15']);
    expect(head.posture.cis.counts).toMatchObject({ fail: base.posture.cis.counts!.fail + 1 });

    const d = diffStack('lab', { state: 'ok', posture: base.posture }, { state: 'ok', posture: head.posture });
    expect(d.verdict).toBe('weaker');
    expect(d.cis).toEqual([expect.objectContaining({ check: '1.2.15', from: 'pass', to: 'fail' })]);
    expect(d.controls).toEqual([expect.objectContaining({ control: 'k8s.apiserver.profiling-off', from: 'enforced', to: 'depends' })]);
    // every rendering of the table says so
    expect(postureMarkdown(head.posture)).toMatch(/\| 1\.2\.15 \| fail \| config patch: bulwark:patches\.controlplane\[0\] changes it on lab-cp-1/);
    expect(postureHtml(head.posture)).toContain('config patch: bulwark:patches.controlplane[0] changes it on lab-cp-1');
  });

  it('a patch on one worker\'s kubelet: CIS 4.2.4 fails on that worker only, naming the node patch', async () => {
    const head = await render(lab(contract, (v) => (v.nodes[1].patches = [kubeletConfig(contract, { readOnlyPort: 10255 })])));
    expect(head.posture.nodes[1].name).toBe('lab-worker-1');
    expect(cisRow(head, '4.2.4')).toMatchObject({
      verdict: 'fail',
      patches: ['bulwark:nodes[1].patches[0]'],
      detail: expect.stringMatching(/^on lab-worker-1: --read-only-port=10255 \(kubelet config\)/),
      reason: expect.stringMatching(/^config patch: bulwark:nodes\[1\]\.patches\[0\] changes it on lab-worker-1 \(pass as Bulwark rendered it\): --read-only-port=10255 /),
    });
    expect(control(head, 'k8s.kubelet.authn-authz')).toMatchObject({ status: 'depends', reason: expect.stringContaining('bulwark:nodes[1].patches[0] changes') });
  });

  it('a later patch that restores the flag, or one that leaves every verdict as it was, names no patch', async () => {
    const base = await render(lab(contract));
    const restored = await render(lab(contract, (v) => (v.patches = { all: [], controlplane: [apiServerArgs(contract, { profiling: 'true' }), apiServerArgs(contract, { profiling: 'false' })], worker: [] })));
    const beside = await render(lab(contract, (v) => (v.patches = { controlplane: [apiServerArgs(contract, { 'audit-log-maxage': '60' })] })));
    for (const r of [restored, beside]) {
      expect(r.posture.cis.results.filter((x) => x.patches)).toEqual([]);
      expect(r.posture.cis.results.map((x) => x.verdict)).toEqual(base.posture.cis.results.map((x) => x.verdict));
    }
  });

  it('a patch setting a flag Talos does not let extraArgs override is refused, naming the patch and the flag', async () => {
    let problems: { path: string; message: string }[] = [];
    try {
      await render(lab(contract, (v) => (v.patches = { controlplane: [apiServerArgs(contract, { 'tls-cert-file': '/tmp/x.crt' })] })));
    } catch (e) {
      if (!(e instanceof StackConfigError)) throw e;
      problems = e.problems;
    }
    expect(problems).toEqual([{ path: 'bulwark:patches.controlplane[0]', message: expect.stringMatching(/^sets kube-apiserver --tls-cert-file on node lab-cp-1, which Talos does not let extraArgs override/) }]);
  });
});

it('contract 1.13: a JSON patch that drops admission plugins fails the CIS checks of each plugin, naming the patch', async () => {
  const head = await render(lab('1.13', (v) => (v.patches = { controlplane: [[{ op: 'replace', path: '/cluster/apiServer/extraArgs/enable-admission-plugins', value: 'NodeRestriction' }]] })));
  const failed = head.posture.cis.results.filter((r) => r.patches);
  expect(failed.map((r) => [r.id, r.verdict, r.patches])).toEqual([
    ['1.2.3', 'fail', ['bulwark:patches.controlplane[0]']], // DenyServiceExternalIPs
    ['1.2.9', 'fail', ['bulwark:patches.controlplane[0]']], // EventRateLimit
  ]);
  expect(control(head, 'k8s.apiserver.admission-plugins')).toMatchObject({ status: 'depends' });
});

/**
 * The CIS table reads the components' inputs from the node documents (configInputs); without a patch they must be
 * what Bulwark's plan says (planInputs, the model computed.test.ts holds to Talos's output), for every node of
 * every example stack and contract variant.
 */
it('without patches, the inputs read from every rendered config equal the plan\'s', async () => {
  const secrets = await testSecrets();
  const wrong: string[] = [];
  for (const v of variants()) {
    const stack = { ...v.valid, stack: { ...v.valid.stack, patches: { all: [], controlplane: [], worker: [] }, nodes: v.valid.stack.nodes.map((n) => ({ ...n, patches: [] })) } };
    const r = renderStack(stack, secrets);
    for (const n of r.nodes) {
      const node = stack.stack.nodes.find((x) => x.name === n.name)!;
      const docs = parseAllDocuments(n.config).map((d) => d.toJS() as Record<string, unknown>);
      const fromConfig = configInputs(v.contract, docs);
      const fromPlan = planInputs(stack.stack, r.plan, node);
      // workers carry no control-plane component settings (1.13 keeps kube-proxy's args on every node)
      const fields = (node.role === 'controlplane' ? Object.keys(fromPlan) : ['kubeletArgs', 'kubeletConfig', 'defaultRuntimeSeccomp', 'proxy']) as (keyof typeof fromPlan)[];
      for (const f of fields) if (JSON.stringify(fromConfig[f]) !== JSON.stringify(fromPlan[f])) wrong.push(`${v.label} ${n.name} ${f}: config ${JSON.stringify(fromConfig[f])}, plan ${JSON.stringify(fromPlan[f])}`);
    }
  }
  expect(wrong).toEqual([]);
});
