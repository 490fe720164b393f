/**
 * Talos computes the workers: for every worker config of every example stack and of its contract variants
 * (variants.ts), Talos's own kubelet and node controllers (talos-compute's worker mode) compute the kubelet's
 * KubeletConfiguration and flags and the Node's labels and taints. A controller rejecting a worker config fails
 * here; Bulwark's model of the kubelet (core/cis/model.ts, which the CIS evaluator and the posture use) must say what
 * Talos computed for the worker, as computed.test.ts checks for control planes; the taints and labels the stack
 * gives a node are the ones Talos applies and registers the kubelet with (on 1.13 from Bulwark's extraConfig); and the worker gets the worker's reservations, not a control
 * plane's. The e2e node suite starts its worker kubelets with exactly this output (e2e/harness/node-kubelet.ts).
 */
import { componentFlags } from '../../core/cis/model';
import { isPoolLabel } from '../../core/controls/catalogue/node-pools';
import { renderStack } from '../../core/render/index';
import { testSecrets } from '../helpers';
import { type ComputedWorker, computeNodeLabels, computeWorker } from './compute-worker';
import { absentComputeJudges, flagsOf, judgesRequired } from './talosctl';
import { variants } from './variants';

const CP_ROLE = 'node-role.kubernetes.io/control-plane';

/** Every leaf the model states equals Talos's; a leaf Talos omits is Go's zero value (omitempty). */
function leafDiffs(model: unknown, talos: unknown, path: string, out: string[]): void {
  if (model && typeof model === 'object' && !Array.isArray(model)) {
    const t = (talos && typeof talos === 'object' ? talos : {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(model)) leafDiffs(v, t[k], `${path}.${k}`, out);
    return;
  }
  // a list of objects (registerWithTaints) element by element: Go writes an object's keys in its own order
  if (Array.isArray(model) && model.some((x) => x && typeof x === 'object') && Array.isArray(talos) && talos.length === model.length) {
    model.forEach((x, n) => leafDiffs(x, talos[n], `${path}[${n}]`, out));
    return;
  }
  const zero = model === 0 || model === false || model === '' || (Array.isArray(model) && !model.length);
  if (talos === undefined && zero) return;
  if (JSON.stringify(model) !== JSON.stringify(talos)) out.push(`${path}: model ${JSON.stringify(model)}, Talos ${JSON.stringify(talos)}`);
}

if (absentComputeJudges.length && !judgesRequired) {
  const why = `Talos's computed workers SKIPPED: ${[...new Set(absentComputeJudges)].join('; ')}`;
  // eslint-disable-next-line no-console
  console.warn(why);
  it.skip(why, () => undefined);
} else {
  const all = variants();

  it.each(['1.13', '1.14'] as const)('contract %s: the worker output exists for every example stack with workers', async (contract) => {
    const seen: string[] = [];
    for (const v of all.filter((x) => x.contract === contract && x.line === contract)) {
      const r = renderStack(v.valid, await testSecrets());
      for (const n of r.nodes.filter((x) => x.role === 'worker')) {
        const w = computeWorker(v.line, n.config, n.name, '10.0.0.2');
        expect(w.talos).toBe(v.line);
        expect(w.machineType).toBe('worker');
        expect(w.kubelet.config.kind).toBe('KubeletConfiguration');
        expect(w.kubelet.args).toContain(`--hostname-override=${n.name}`);
        seen.push(`${v.stack}/${n.name}`);
      }
    }
    expect(seen.length).toBeGreaterThan(0);
  }, 120_000);

  describe.each(all.map((v) => [v.label, v] as const))('%s', (_label, v) => {
    it(`Talos ${v.line}'s controllers accept every worker config; the kubelet, taints and labels are what Bulwark says`, async () => {
      const rendered = renderStack(v.valid, await testSecrets());
      const problems: string[] = [];
      for (const n of rendered.nodes.filter((x) => x.role === 'worker')) {
        const node = v.valid.stack.nodes.find((x) => x.name === n.name)!;
        let w: ComputedWorker;
        try {
          w = computeWorker(v.line, n.config, n.name, node.address.split('/')[0]);
        } catch (e) {
          problems.push((e as Error).message);
          continue;
        }
        const model = componentFlags(v.valid.stack, rendered.plan, v.line, node);
        const got = flagsOf(['kubelet', ...w.kubelet.args]);
        for (const f of [...new Set([...Object.keys(model.kubelet), ...Object.keys(got)])].sort()) {
          if (f === 'node-ip') continue; // Talos's NodeIP controller picks it at run time; talos-compute is handed the stack's address
          const g = (got[f] ?? []).join(' and ');
          if (g !== (model.kubelet[f] ?? '')) problems.push(`${n.name}: kubelet --${f}: model ${model.kubelet[f] ?? '(absent)'}, Talos ${g || '(absent)'}`);
        }
        const leaves: string[] = [];
        leafDiffs(model.kubeletConfig, w.kubelet.config, 'kubelet-config', leaves);
        problems.push(...leaves.map((l) => `${n.name}: ${l}`));
        // the kubelet registers with the taints Talos then owns on the Node, and they include the stack's own
        const registered = ((w.kubelet.config.registerWithTaints ?? []) as Array<{ key: string; value?: string; effect: string }>).map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`);
        const applied = w.nodeTaints.map((t) => `${t.key}=${t.value}:${t.effect}`);
        // the kubelet registers with every taint the Node gets, on both lines: Talos 1.14 does so itself, 1.13 only for a
        // control plane's own (NodeApplyController adds the rest once the Node exists, a window in which the scheduler
        // may place any pod there), so contract 1.13 renders them into the kubelet's extraConfig
        if (JSON.stringify(registered) !== JSON.stringify(applied)) problems.push(`${n.name}: registerWithTaints ${registered.join(',') || 'none'}, expected ${applied.join(',') || 'none'} (the Node gets them)`);
        for (const t of node.taints) if (!applied.includes(`${t.key}=${t.value ?? ''}:${t.effect}`)) problems.push(`${n.name}: the stack's taint ${t.key} is not applied by Talos (${applied.join(',')})`);
        // pool labels are the deployer's (the Node objects of catalogue/node-pools.ts): NodeRestriction keeps them from the node
        for (const [k, val] of Object.entries(node.labels).filter(([k]) => !isPoolLabel(k))) if (w.nodeLabels[k] !== val) problems.push(`${n.name}: the stack's label ${k}=${val}: Talos applies ${w.nodeLabels[k] ?? 'nothing'}`);
        for (const k of Object.keys(w.nodeLabels).filter(isPoolLabel)) problems.push(`${n.name}: Talos would apply the pool label ${k} (the node could then label itself into a pool)`);
        if (CP_ROLE in w.nodeLabels || applied.some((t) => t.startsWith(`${CP_ROLE}=`))) problems.push(`${n.name}: a worker carries the control-plane role label or taint`);
      }
      expect(problems).toEqual([]);
    }, 120_000);
  });

  it.each(['1.13', '1.14'] as const)('Talos %s: a control plane gets the control-plane role label and taint (node-labels mode)', async (line) => {
    const v = all.find((x) => x.stack === 'prod' && x.line === line && x.contract === line)!;
    const cp = renderStack(v.valid, await testSecrets()).nodes.find((n) => n.role === 'controlplane')!;
    const l = computeNodeLabels(line, cp.config, cp.name, '10.0.0.1');
    expect(l.machineType).toBe('controlplane');
    expect(l.nodeLabels[CP_ROLE]).toBe('');
    expect(l.nodeTaints).toContainEqual({ key: CP_ROLE, value: '', effect: 'NoSchedule' });
  });

  it('worker mode refuses a control-plane config (its kubelet is the control-plane mode\'s)', async () => {
    const v = all.find((x) => x.stack === 'lab' && x.contract === '1.14')!;
    const cp = renderStack(v.valid, await testSecrets()).nodes.find((n) => n.role === 'controlplane')!;
    expect(() => computeWorker(v.line, cp.config, cp.name, '10.0.0.1')).toThrow(/machine type "controlplane".*computes a worker/);
  });

  it.each(['1.13', '1.14'] as const)('Talos %s: a worker gets the worker\'s system reservation, not the control plane\'s', async (line) => {
    const v = all.find((x) => x.stack === 'lab' && x.line === line && x.contract === line)!;
    const worker = renderStack(v.valid, await testSecrets()).nodes.find((n) => n.role === 'worker')!;
    const w = computeWorker(line, worker.config, worker.name, '10.0.0.2');
    // KubeletSystemReservedMemoryWorker / ...ControlPlane in Talos's constants: 384Mi / 512Mi on both lines
    expect((w.kubelet.config.systemReserved as Record<string, string>).memory).toBe('384Mi');
  });
}
