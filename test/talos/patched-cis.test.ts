/**
 * Talos judges the CIS table of a patched configuration: for configs whose patches set flags kube-bench checks
 * (API server profiling, admission plugins, a repeated flag, the kubelet's read-only port), Talos's own controllers
 * (talos-compute) compute a control plane's processes from the patched YAML, and the CIS evaluator gives every check
 * the same verdict there as on the model the posture builds from the same YAML (core/cis/model.ts configInputs,
 * core/cis/patched.ts). The posture's rows for the patched checks are the ones Talos's processes give.
 */
import { parseAllDocuments } from 'yaml';
import { evaluateCheck } from '../../core/cis/evaluate';
import { configInputs, flagsFrom, processModel } from '../../core/cis/model';
import { renderStack } from '../../core/render/index';
import { validateValues } from '../../core/stack';
import { TODAY, cisChecks, exampleValues, testSecrets } from '../helpers';
import { talosProcesses } from './processes';
import { absentComputeJudges, computeControlPlane, judgesRequired } from './talosctl';

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Contract = '1.13' | '1.14';

const apiServer = (contract: Contract, extraArgs: Record<string, unknown>) =>
  contract === '1.13' ? { cluster: { apiServer: { extraArgs } } } : { apiVersion: 'v1alpha1', kind: 'KubeAPIServerConfig', extraArgs };
const kubelet = (contract: Contract, config: Record<string, unknown>) =>
  contract === '1.13' ? { machine: { kubelet: { extraConfig: config } } } : { apiVersion: 'v1alpha1', kind: 'KubeletConfig', config };

/** lab with a kubelet patch on every node and, per case, the API server extra args patched into the control planes. */
const CASES: Array<[string, Record<string, unknown>]> = [
  ['profiling on, admission plugins cut to NodeRestriction', { profiling: 'true', 'enable-admission-plugins': 'NodeRestriction' }],
  ['a flag given as a list (Talos repeats it)', { 'audit-log-maxage': ['7'], 'enable-admission-plugins': ['NodeRestriction', 'AlwaysPullImages'] }],
];

function patched(contract: Contract, args: Record<string, unknown>): Values {
  const v = exampleValues('lab') as Values;
  v.cluster.contract = contract;
  v.cluster.talosVersion = contract === '1.13' ? 'v1.13.9' : 'v1.14.1';
  v.patches = { all: [kubelet(contract, { readOnlyPort: 10255 })], controlplane: [apiServer(contract, args)], worker: [] };
  return v;
}

if (absentComputeJudges.length && !judgesRequired) {
  const why = `Talos's computed patched control plane SKIPPED: ${[...new Set(absentComputeJudges)].join('; ')}`;
  // eslint-disable-next-line no-console
  console.warn(why);
  it.skip(why, () => undefined);
} else {
  const checks = cisChecks().checks;
  describe.each(['1.13', '1.14'] as const)('contract %s', (contract) => {
    it.each(CASES)('%s: every CIS verdict of the model equals the one on the processes Talos computes from the patched config', async (_name, args) => {
      const valid = validateValues('lab', patched(contract, args), { today: TODAY });
      const r = renderStack(valid, await testSecrets(), { cis: cisChecks() });
      const problems: string[] = [];
      for (const n of r.nodes.filter((x) => x.role === 'controlplane')) {
        const node = valid.stack.nodes.find((x) => x.name === n.name)!;
        const docs = parseAllDocuments(n.config).map((d) => d.toJS() as Record<string, unknown>);
        const model = processModel(flagsFrom(valid.stack, contract, node, configInputs(contract, docs)), 'secretbox');
        const talos = talosProcesses(computeControlPlane(contract, n.config, n.name, node.address.split('/')[0]));
        for (const check of checks) {
          const [m, t] = [evaluateCheck(check, model), evaluateCheck(check, talos)];
          if (m.outcome !== t.outcome) problems.push(`${n.name}: CIS ${check.id}: model ${m.outcome} (${m.detail}), Talos ${t.outcome} (${t.detail})`);
        }
        // the patches reached the processes (not vacuous)
        if (evaluateCheck(checks.find((c) => c.id === '4.2.4')!, talos).outcome !== 'fail') problems.push(`${n.name}: Talos's kubelet does not have the patched read-only port`);
      }
      expect(problems).toEqual([]);
      const row = (id: string) => r.posture.cis.results.find((x) => x.id === id)!;
      expect(row('4.2.4')).toMatchObject({ verdict: 'fail', patches: ['bulwark:patches.all[0]'] });
      if (args.profiling) expect(row('1.2.15')).toMatchObject({ verdict: 'fail', patches: ['bulwark:patches.controlplane[0]'] });
    }, 120_000);
  });
}
