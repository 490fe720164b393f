/**
 * How Talos merges extra args into its own (core/talos/defaults.ts: the denied and additive lists and mergeArgs),
 * judged by Talos's own controllers and etcd service (talos-compute) on both lines: every flag the model says Talos
 * refuses is refused, naming the flag; every other flag Talos sets (or the model gives it) is accepted as an extra
 * arg and comes out as mergeArgs predicts (replaced, or comma-merged when additive). The renderer refuses denied flags
 * before Talos would (mergeArgs), so drift here is a config Talos rejects at boot, or a flag Bulwark believes it
 * set that Talos overrode. Limits: additivity shows only on flags Talos sets itself, and a flag Talos denies but
 * neither sets nor the model names cannot be enumerated from its output.
 */
import { parseAllDocuments, stringify } from 'yaml';
import { componentDefaults } from '../../core/cis/model';
import { renderStack } from '../../core/render/index';
import { mergeArgs } from '../../core/talos/defaults';
import { testSecrets } from '../helpers';
import { type Computed, absentComputeJudges, computeControlPlane, flagsOf, judgesRequired } from './talosctl';
import { variants } from './variants';

type Component = 'apiserver' | 'controllermanager' | 'scheduler' | 'etcd';
const COMPONENTS: Component[] = ['apiserver', 'controllermanager', 'scheduler', 'etcd'];
const POD = { apiserver: 'kube-apiserver', controllermanager: 'kube-controller-manager', scheduler: 'kube-scheduler' } as const;
/** where extra args go: the v1alpha1 cluster section (contract 1.13, and etcd on both), or the 1.14 document */
const V1ALPHA1_KEY = { apiserver: 'apiServer', controllermanager: 'controllerManager', scheduler: 'scheduler', etcd: 'etcd' } as const;
const DOC_KIND = { apiserver: 'KubeAPIServerConfig', controllermanager: 'KubeControllerManagerConfig', scheduler: 'KubeSchedulerConfig' } as const;
const PROBE = 'bulwark-probe';
const ADDITIVE_PROBE = 'BulwarkProbe';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function withExtraArgs(config: string, contract: string, c: Component, args: Record<string, string>): string {
  const docs = parseAllDocuments(config).map((d) => d.toJS());
  const target = contract === '1.14' && c !== 'etcd' ? docs.find((d) => d.kind === DOC_KIND[c]) : (docs[0].cluster[V1ALPHA1_KEY[c]] ??= {});
  if (!target) throw new Error(`no document for ${c} extra args`);
  target.extraArgs = { ...(target.extraArgs ?? {}), ...args };
  return docs.map((d) => stringify(d)).join('---\n');
}

function talosFlags(t: Computed, c: Component): Record<string, string[]> {
  if (c === 'etcd') return flagsOf(['etcd', ...t.etcd.args]);
  const pod = t.staticPods[POD[c]];
  if (!pod) throw new Error(`Talos computed no ${POD[c]} static pod`);
  return flagsOf(pod.spec.containers[0].command);
}

if (absentComputeJudges.length && !judgesRequired) {
  const why = `Talos's merge of extra args SKIPPED: ${[...new Set(absentComputeJudges)].join('; ')}`;
  // eslint-disable-next-line no-console
  console.warn(why);
  it.skip(why, () => undefined);
} else {
  const cases = variants().filter((v) => v.stack === 'lab' && v.contract === v.line);

  describe.each(cases.map((v) => [v.line, v] as const))('Talos %s', (_line, v) => {
    let config = '';
    let node = { name: '', ip: '' };
    let baseline: Computed;
    const defaults = componentDefaults(v.valid.stack, v.line);
    beforeAll(async () => {
      const rendered = renderStack(v.valid, await testSecrets());
      const cp = rendered.nodes.find((n) => n.role === 'controlplane')!;
      config = cp.config;
      node = { name: cp.name, ip: v.valid.stack.nodes.find((n) => n.name === cp.name)!.address.split('/')[0] };
      baseline = computeControlPlane(v.line, config, node.name, node.ip);
    });

    it.each(COMPONENTS)('%s: every flag the model denies, Talos refuses', (c) => {
      const problems: string[] = [];
      for (const f of defaults[c].denied) {
        try {
          computeControlPlane(v.line, withExtraArgs(config, v.contract, c, { [f]: PROBE }), node.name, node.ip);
          problems.push(`--${f}: the model denies it, Talos accepts it`);
        } catch (e) {
          if (!String(e).includes(`extra arg "${f}" is not allowed`)) problems.push(`--${f}: refused for another reason: ${String(e).slice(0, 300)}`);
        }
      }
      expect(problems).toEqual([]);
    }, 120_000);

    it.each(COMPONENTS)('%s: every other flag Talos sets is accepted and merged as the model says', (c) => {
      const d = defaults[c];
      const flags = [...new Set([...Object.keys(talosFlags(baseline, c)), ...Object.keys(d.args)])].filter((f) => !d.denied.includes(f)).sort();
      expect(flags.length).toBeGreaterThan(0);
      const extra = Object.fromEntries(flags.map((f) => [f, d.additive.includes(f) ? ADDITIVE_PROBE : PROBE]));
      const got = talosFlags(computeControlPlane(v.line, withExtraArgs(config, v.contract, c, extra), node.name, node.ip), c);
      const want = mergeArgs(d, extra);
      const problems = flags.flatMap((f) => {
        // a repeated flag: the programs keep the last one (Talos passes --use-service-account-credentials bare
        // before the extra arg), except etcd's --feature-gates, which accumulates
        const vs = got[f] ?? [];
        const g = c === 'etcd' && f === 'feature-gates' ? vs.join(',') : vs[vs.length - 1] ?? '';
        return g === want[f] ? [] : [`--${f}=${extra[f]}: the model predicts ${JSON.stringify(want[f])}, Talos passes ${JSON.stringify(g)}`];
      });
      expect(problems).toEqual([]);
    }, 60_000);
  });
}
