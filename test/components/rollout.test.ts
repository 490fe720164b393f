/**
 * Ordering of node operations: first provision in parallel (graph depth independent of the
 * node count), changes rolled one control plane at a time and workers in batches, each step
 * after the previous group, Kubernetes before the nodes' steps; resets on destroy.
 */
import { exampleValues } from '../helpers';
import { Registration, Run, ancestors, depths, runProgram } from './harness';

/** lab's values with `cps` control planes and `workers` workers. */
function sized(cps: number, workers: number, operations: Record<string, unknown> = {}, base = 'lab'): Record<string, unknown> {
  const v = exampleValues(base);
  const node = (i: number, role: string) => ({ name: `${role === 'controlplane' ? 'cp' : 'w'}-${i}`, address: `10.10.${role === 'controlplane' ? 1 : 2}.${i + 1}`, role, installDisk: '/dev/sda' });
  v.nodes = [...Array.from({ length: cps }, (_, i) => node(i, 'controlplane')), ...Array.from({ length: workers }, (_, i) => node(i, 'worker'))];
  v.operations = { ...(v.operations as object), ...operations };
  delete v.network; // the base's shared networking (prod: a bond and VLANs) is completed by its own nodes' addresses
  return v;
}

const urn = (run: Run, name: string) => {
  const r = run.byName.get(name);
  if (!r) throw new Error(`no resource ${name}`);
  return r.urn;
};
const before = (run: Run, a: string, b: string) => ancestors(run.registrations, urn(run, b)).has(urn(run, a));

describe('first provision configures every node at once', () => {
  let small: Run;
  let large: Run;
  beforeAll(async () => {
    small = await runProgram(sized(3, 0), { stack: 'small' });
    large = await runProgram(sized(3, 27), { stack: 'large' });
  });

  test('both register', () => {
    expect(small.error).toBeUndefined();
    expect(large.error).toBeUndefined();
  });

  test('the path to a working cluster has the same depth for 3 nodes as for 30', () => {
    const path = (run: Run) => {
      const d = depths(run.registrations);
      const of = (n: string) => d.get(urn(run, n))!;
      const applies = run.registrations.filter((r) => r.name.endsWith('-apply')).map((r) => d.get(r.urn)!);
      const k8s = run.registrations.filter((r) => r.type.startsWith('kubernetes:')).map((r) => d.get(r.urn)!);
      return { applies: [...new Set(applies)], bootstrap: of('talos-bootstrap'), health: of('talos-health'), provider: of('cluster-kubernetes'), k8s: Math.max(...k8s) };
    };
    expect(path(large)).toEqual(path(small));
    expect(path(large).applies).toEqual([1]); // secrets → every apply, side by side
  });

  test('no first apply waits for another node', () => {
    const applies = new Set(large.registrations.filter((r) => r.name.endsWith('-apply')).map((r) => r.urn));
    expect(applies.size).toBe(30);
    for (const a of applies) for (const anc of ancestors(large.registrations, a)) expect(applies.has(anc)).toBe(false);
  });

  test('the rollout steps that chain nodes do nothing on create but record what the node was provisioned with', () => {
    const steps = large.registrations.filter((r) => /-(rollout|reboot)$/.test(r.name) && r.type === 'command:local:Command');
    expect(steps.length).toBe(30);
    for (const s of steps) expect(s.raw.create as string).toMatch(/^# First provision: nothing to do; record/);
    expect(large.byName.get('rollout-kubernetes-upgrade')!.raw.create as string).toMatch(/^# First provision: nothing to do; record/);
    expect(large.byName.get('rollout-preflight-health')!.raw.create).toBeUndefined();
  });
});

describe('changes roll through the cluster: control planes one at a time, then workers in batches', () => {
  let run: Run;
  const cps = ['cp-0', 'cp-1', 'cp-2'];
  const workers = ['w-0', 'w-1', 'w-2', 'w-3', 'w-4'];
  beforeAll(async () => {
    run = await runProgram(sized(3, 5, { workerBatchSize: 2 }, 'prod'), { stack: 'rolling' });
  });

  test('registers', () => expect(run.error).toBeUndefined());

  test('each control plane after the one before it; every worker after the last control plane', () => {
    expect(before(run, 'cp-0-reboot', 'cp-1-rollout')).toBe(true);
    expect(before(run, 'cp-1-reboot', 'cp-2-rollout')).toBe(true);
    for (const w of workers) expect(before(run, 'cp-2-reboot', `${w}-rollout`)).toBe(true);
  });

  test('workers in batches of workerBatchSize, batch after batch, never two batches at once', () => {
    const batches = [['w-0', 'w-1'], ['w-2', 'w-3'], ['w-4']];
    for (const b of batches) for (const x of b) for (const y of b) if (x !== y) expect(before(run, `${x}-rollout`, `${y}-rollout`)).toBe(false);
    for (let i = 1; i < batches.length; i++) for (const x of batches[i - 1]) for (const y of batches[i]) expect(before(run, `${x}-reboot`, `${y}-rollout`)).toBe(true);
  });

  test('every pair of control-plane steps is ordered: no two control planes are ever touched at once', () => {
    const cpSteps = cps.flatMap((c) => [`${c}-rollout`, `${c}-reboot`]);
    for (const a of cpSteps) for (const b of cpSteps) if (a !== b && a.split('-').slice(0, 2).join('-') !== b.split('-').slice(0, 2).join('-')) expect(before(run, a, b) || before(run, b, a)).toBe(true);
  });

  test('a node\'s reboot step follows its own rollout step, and the next group waits for it (the step that ends the group, with its health gate)', () => {
    expect(before(run, 'cp-0-rollout', 'cp-0-reboot')).toBe(true);
    expect(before(run, 'cp-0-reboot', 'cp-1-rollout')).toBe(true);
  });

  test('the preflight health check, then the Kubernetes upgrade, then the nodes; a node\'s step after its first apply', () => {
    expect(before(run, 'rollout-preflight-health', 'rollout-kubernetes-upgrade')).toBe(true);
    for (const n of [...cps, ...workers]) {
      expect(before(run, 'rollout-kubernetes-upgrade', `${n}-rollout`)).toBe(true);
      expect(before(run, `${n}-apply`, `${n}-rollout`)).toBe(true);
      // a node that joins in the same run is configured before upgrade-k8s looks for it
      expect(before(run, `${n}-apply`, 'rollout-kubernetes-upgrade')).toBe(true);
    }
  });

  test('health gates: control planes check themselves, workers check from the first control plane', () => {
    const env = (n: string) => run.byName.get(n)!.raw.environment as Record<string, string>;
    expect(env('cp-1-rollout').BULWARK_HEALTH_NODE).toBe('10.10.1.2');
    expect(env('w-3-rollout').BULWARK_HEALTH_NODE).toBe('10.10.1.1');
    expect(env('w-3-rollout').BULWARK_TIMEOUT).toBe('15m'); // prod's operations.healthTimeout
  });
});

describe('reset on destroy', () => {
  let run: Run;
  beforeAll(async () => {
    run = await runProgram(sized(3, 3, { resetOnDestroy: true }), { stack: 'reset' });
  });
  const reset = (n: string) => run.byName.get(`${n}-reset`)!;
  const env = (r: Registration) => r.raw.environment as Record<string, string>;

  test('one reset per node, run only on delete', () => {
    expect(run.error).toBeUndefined();
    for (const n of ['cp-0', 'cp-1', 'cp-2', 'w-0', 'w-1', 'w-2']) {
      expect(reset(n).raw.create).toBeUndefined();
      expect(reset(n).raw.update).toBeUndefined();
      expect(reset(n).raw.delete).toMatch(/talosctl reset/);
    }
  });

  test('workers go first, then control planes one at a time; the first control plane last, not gracefully (it is the last etcd member)', () => {
    // Pulumi deletes a resource before what it depends on: dependencies are the reverse of destroy order.
    expect(before(run, 'cp-2-reset', 'w-0-reset')).toBe(true);
    expect(before(run, 'cp-1-reset', 'cp-2-reset')).toBe(true);
    expect(before(run, 'cp-0-reset', 'cp-1-reset')).toBe(true);
    expect(env(reset('cp-0')).BULWARK_GRACEFUL).toBe('false');
    for (const n of ['cp-1', 'cp-2', 'w-0', 'w-1', 'w-2']) expect(env(reset(n)).BULWARK_GRACEFUL).toBe('true');
  });

  test('Kubernetes objects are deleted before any node is reset', () => {
    for (const n of ['cp-0', 'cp-1', 'cp-2', 'w-0', 'w-1', 'w-2']) expect(before(run, `${n}-reset`, 'cluster-kubernetes')).toBe(true);
  });

  test('without resetOnDestroy there is no reset', async () => {
    const plain = await runProgram(sized(1, 1), { stack: 'noreset' });
    expect(plain.registrations.some((r) => r.name.endsWith('-reset'))).toBe(false);
  });
});
