/**
 * Config patches never weaken a cluster silently: the posture is the patched configuration's. A patch that
 * changes a place a control owns withholds "enforced" from it and the report names the patch; the posture
 * diff shows the stack weaker; where the profile forbids such patches the render refuses them.
 */
import { StackConfigError } from '../core/config/errors';
import { stackFacts } from '../policy/facts';
import { diffStack } from '../core/posture/diff';
import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import { TODAY, exampleValues, testSecrets } from './helpers';

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function stack(name: string, contract: '1.13' | '1.14', patches?: Values): Values {
  const v = exampleValues(name) as Values;
  v.cluster.contract = contract;
  v.cluster.talosVersion = contract === '1.13' ? 'v1.13.9' : 'v1.14.1';
  if (patches) v.patches = patches;
  return v;
}

async function posture(name: string, v: Values) {
  return renderStack(validateValues(name, v, { today: TODAY }), await testSecrets()).posture;
}

const control = (p: Awaited<ReturnType<typeof posture>>, id: string) => p.controls.find((c) => c.id === id)!;

describe('the posture of a patched configuration', () => {
  it.each([
    ['1.13', { machine: { sysctls: { 'kernel.kexec_load_disabled': '0' } } }, 'v1alpha1 machine.sysctls["kernel.kexec_load_disabled"]'],
    ['1.14', { apiVersion: 'v1alpha1', kind: 'SysctlConfig', params: { 'kernel.kexec_load_disabled': { $patch: 'delete' } } }, 'SysctlConfig params["kernel.kexec_load_disabled"]'],
  ] as const)('contract %s: a patch undoing a sysctl of os.kernel.kspp-sysctls: not enforced, the report names the patch, the diff says weaker', async (contract, patch, path) => {
    const base = await posture('lab', stack('lab', contract));
    const head = await posture('lab', stack('lab', contract, { all: [patch] }));
    expect(control(base, 'os.kernel.kspp-sysctls').status).toBe('enforced');
    const c = control(head, 'os.kernel.kspp-sysctls');
    expect(c.status).toBe('depends');
    expect(c.dependencies).toContainEqual({
      what: 'its settings as Bulwark rendered them, not changed by a config patch', met: false,
      detail: `bulwark:patches.all[0] changes ${path} on lab-cp-1, lab-worker-1`,
    });
    // nothing else moved
    expect(head.controls.filter((x) => x.status !== control(base, x.id).status).map((x) => x.id)).toEqual(['os.kernel.kspp-sysctls']);
    const d = diffStack('lab', { state: 'ok', posture: base }, { state: 'ok', posture: head });
    expect(d.verdict).toBe('weaker');
    expect(d.controls).toEqual([expect.objectContaining({ control: 'os.kernel.kspp-sysctls', from: 'enforced', to: 'depends', change: 'no-longer-enforced' })]);
  });

  it('the policy pack sees the same: its facts say depends for a control a patch undid', () => {
    const facts = stackFacts(stack('lab', '1.13', { all: [{ machine: { sysctls: { 'kernel.kexec_load_disabled': '0' } } }] }));
    expect(facts.controls.find((c) => c.id === 'os.kernel.kspp-sysctls')).toMatchObject({ status: 'depends', reason: expect.stringMatching(/bulwark:patches\.all\[0\] changes v1alpha1/) });
    expect(stackFacts(stack('lab', '1.13')).controls.find((c) => c.id === 'os.kernel.kspp-sysctls')!.status).toBe('enforced');
  });

  it('contract 1.14: replacing the audit policy document undoes k8s.audit.policy, on the control planes only', async () => {
    const head = await posture('lab', stack('lab', '1.14', { all: [{ apiVersion: 'v1alpha1', kind: 'KubeAuditPolicyConfig', configuration: { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'None' }] } }] }));
    expect(control(head, 'k8s.audit.policy').dependencies).toContainEqual(expect.objectContaining({ met: false, detail: 'bulwark:patches.all[0] changes KubeAuditPolicyConfig configuration on lab-cp-1' }));
  });

  it('a patch beside the controls, or one a later patch undoes, leaves every control as it was', async () => {
    const base = await posture('lab', stack('lab', '1.13'));
    const beside = await posture('lab', stack('lab', '1.13', { all: [{ machine: { sysctls: { 'vm.max_map_count': '262144' } } }] }));
    const restored = await posture('lab', stack('lab', '1.13', {
      all: [{ machine: { sysctls: { 'kernel.kexec_load_disabled': '0' } } }],
      worker: [{ machine: { sysctls: { 'kernel.kexec_load_disabled': '1' } } }],
    }));
    expect(beside.summary).toEqual(base.summary);
    // restored on the worker, not on the control plane: the control plane is named, the worker is not
    expect(control(restored, 'os.kernel.kspp-sysctls').dependencies).toContainEqual(expect.objectContaining({ detail: 'bulwark:patches.all[0] changes v1alpha1 machine.sysctls["kernel.kexec_load_disabled"] on lab-cp-1' }));
  });

  it('hostile-multi-tenant forbids patches on security-owned paths: the render refuses them, naming the patch and the control', async () => {
    const v = stack('saas', '1.14', {
      all: [{ apiVersion: 'v1alpha1', kind: 'KubeletConfig', config: { readOnlyPort: 10255 } }],
      controlplane: [{ apiVersion: 'v1alpha1', kind: 'StaticHostConfig', name: '10.5.0.1', hostnames: ['registry.saas.example.com'] }],
    });
    let problems: { path: string; message: string }[] = [];
    try {
      await posture('saas', v);
    } catch (e) {
      if (!(e instanceof StackConfigError)) throw e;
      problems = e.problems;
    }
    expect(problems).toEqual([
      { path: 'bulwark:patches.all[0]', message: expect.stringMatching(/^changes KubeletConfig config\.readOnlyPort \(node saas-cp-1, .*\), which control k8s\.kubelet\.[a-z-]+ owns; profile hostile-multi-tenant forbids config patches on security-owned paths/) },
    ]);
    // the patch beside the controls alone is fine
    delete v.patches.all;
    expect((await posture('saas', v)).summary).toEqual((await posture('saas', stack('saas', '1.14'))).summary);
  });
});
