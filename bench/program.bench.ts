/**
 * Benchmark of the Pulumi program under Pulumi's mock runtime (no engine, no providers): how
 * long the program takes to validate, render and register every resource, and its peak
 * memory, for 10/100/1,000 nodes and 10/100/500 tenants. Each size runs in its own process,
 * so the peak is that size's own.
 *
 *   npx ts-node --transpile-only bench/program.bench.ts
 *
 * Columns per size, each its own process:
 *   ts-node        the program loaded as `pulumi up` loads a TypeScript program (ts-node, with
 *                  its source-map support rewriting every stack trace);
 *   plain stacks   the same with stack-trace source mapping off (as for a precompiled program);
 *   promise stacks ts-node with BULWARK_PROMISE_STACKS=1: the Pulumi SDK's promise-leak stack
 *                  traces kept (components/registration.ts), i.e. what that choice saves;
 *   SDK floor      as many bare components, Commands and Namespaces, constructed the same way:
 *                  the SDK's own cost for that many registrations.
 *
 * Then the target size, 1,000 nodes + 500 tenants, BENCH_TARGET_RUNS times (default 3; ts-node,
 * each its own process): wall, CPU (user + system: steadier than wall on a shared machine), peak
 * RSS, their range, and the registrations by type. `-- --target` runs only that part.
 *
 * Target (issue 5): 1,000 nodes + 500 tenants registered in < 10 s and < 1 GB.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import * as pulumi from '@pulumi/pulumi';
import { withoutPromiseStacks } from '../components/registration';
import { generatedStack } from './generate';

/** Sizes: nodes × tenants. */
const SIZES: [number, number][] = [
  [10, 10],
  [100, 10],
  [1000, 10],
  [10, 100],
  [10, 500],
  [1000, 500],
];

/** Raw `bulwark:` values: the same generated stacks as the render benchmark. */
export const benchStack = (nodes: number, tenants: number) => generatedStack(nodes, tenants);

interface Row {
  nodes: number;
  tenants: number;
  resources: number;
  /** Registrations by kind: components, commands, Kubernetes objects, anything else. */
  kinds: Kinds;
  /** Registrations by type token. */
  byType: Record<string, number>;
  ms: number;
  /** CPU time (user + system) over the same window. */
  cpuMs: number;
  peakMB: number;
  heapMB: number;
}

interface Kinds {
  components: number;
  commands: number;
  kubernetes: number;
  other: number;
}

async function one(nodes: number, tenants: number): Promise<void> {
  process.env.BULWARK_TODAY = '2026-11-26';
  if (process.env.BULWARK_BENCH_PLAIN_STACKS === '1') delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
  const { generateSecrets } = await import('../core/secrets/generate');
  const bundle = await generateSecrets(new Date('2026-01-01T00:00:00Z'));
  let resources = 0;
  const kinds: Kinds = { components: 0, commands: 0, kubernetes: 0, other: 0 };
  const byType: Record<string, number> = {};
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        resources++;
        byType[a.type] = (byType[a.type] ?? 0) + 1;
        if (!a.custom) kinds.components++;
        else if (a.type === 'command:local:Command') kinds.commands++;
        else if (a.type.startsWith('kubernetes:')) kinds.kubernetes++;
        else kinds.other++;
        const state: Record<string, unknown> = { ...a.inputs };
        if (a.type.startsWith('pulumi-nodejs:dynamic')) state.bundle = bundle;
        if (a.type === 'command:local:Command') Object.assign(state, { stdout: '', stderr: '' });
        // the program's StackReference to its own last outputs (components/membership.ts): a first `up`, none
        if (a.type === 'pulumi:pulumi:StackReference') Object.assign(state, { outputs: {}, secretOutputNames: [] });
        return { id: `${a.name}-id`, state };
      },
      call: (a) => a.inputs,
    },
    'bulwark',
    `bench-${nodes}-${tenants}`,
    false,
    'organization', // what the CLI passes a program on a file backend
  );
  const values = benchStack(nodes, tenants);
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(values).map(([k, v]) => [`bulwark:${k}`, typeof v === 'string' ? v : JSON.stringify(v)])), []);
  // Load the program (and @pulumi/kubernetes) before the clock starts: module loading is not the program's cost.
  const { bulwarkProgram } = await import('../components/program');
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await pulumi.runtime.runInPulumiStack(() => bulwarkProgram() as unknown as Promise<Record<string, unknown>>);
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const row: Row = { nodes, tenants, resources, kinds, byType, ms, cpuMs: (cpu.user + cpu.system) / 1000, peakMB: (process.resourceUsage().maxRSS * 1024) / 2 ** 20, heapMB: process.memoryUsage().heapUsed / 2 ** 20 };
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

/**
 * The SDK's own cost for the same registrations: as many bare components, Commands and
 * Namespaces (constant inputs, no dependencies) as the program registered of each kind, each
 * constructed as the program constructs it (LocalCommand; a Namespace with only its fields).
 */
async function floor(k: Kinds): Promise<void> {
  delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
  const { LocalCommand } = await import('../components/command');
  const k8s = await import('@pulumi/kubernetes');
  await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, 'bulwark', 'floor', false, 'organization');
  class Bare extends pulumi.ComponentResource {
    constructor(name: string) {
      super('bench:floor:Component', name, {}, {});
      this.registerOutputs({});
    }
  }
  class BareObject extends pulumi.CustomResource {}
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await pulumi.runtime.runInPulumiStack(async () =>
    withoutPromiseStacks(() => {
      const provider = new k8s.Provider('floor', { kubeconfig: 'bench' });
      for (let i = 0; i < k.components; i++) new Bare(`c-${i}`);
      for (let i = 0; i < k.commands; i++) new LocalCommand(`cmd-${i}`, { create: 'true', environment: { A: 'b' }, stdin: 'x' });
      for (let i = 0; i < k.kubernetes; i++)
        new BareObject('kubernetes:core/v1:Namespace', `ns-${i}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${i}` } }, { provider });
      return {};
    }),
  );
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, peakMB: (process.resourceUsage().maxRSS * 1024) / 2 ** 20 })}\n`);
}

function floorChild(k: Kinds): { ms: number; cpuMs: number; peakMB: number } {
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, '--floor', JSON.stringify(k)], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!) as { ms: number; cpuMs: number; peakMB: number };
}

function child(nodes: number, tenants: number, mode: 'ts-node' | 'plain' | 'promise-stacks'): Row {
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, '--one', String(nodes), String(tenants)], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, BULWARK_BENCH_PLAIN_STACKS: mode === 'plain' ? '1' : '0', BULWARK_PROMISE_STACKS: mode === 'promise-stacks' ? '1' : '0' },
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Row;
}

/** The target size BENCH_TARGET_RUNS times: each run's figures, their range, the registrations by type. */
function target(): void {
  const runs = Number(process.env.BENCH_TARGET_RUNS ?? 3);
  const rows = Array.from({ length: runs }, () => child(1000, 500, 'ts-node'));
  console.log(`target 1000 nodes + 500 tenants, ts-node, ${runs} runs (load average at start ${loadavg()[0].toFixed(1)}, ${cpus().length} cores):`);
  for (const [i, r] of rows.entries())
    console.log(`  run ${i + 1}: ${r.ms.toFixed(0)} ms wall, ${r.cpuMs.toFixed(0)} ms CPU, ${r.peakMB.toFixed(0)} MB peak RSS, ${r.resources} registrations`);
  const range = (f: (r: Row) => number, unit: string) => `${Math.min(...rows.map(f)).toFixed(0)}–${Math.max(...rows.map(f)).toFixed(0)} ${unit}`;
  console.log(`  range: wall ${range((r) => r.ms, 'ms')}, CPU ${range((r) => r.cpuMs, 'ms')}, peak RSS ${range((r) => r.peakMB, 'MB')}; budget < 10000 ms and < 1024 MB`);
  const f = floorChild(rows[0].kinds);
  console.log(`  SDK floor (as many bare components, Commands and Namespaces, constant inputs): ${f.ms.toFixed(0)} ms wall, ${f.cpuMs.toFixed(0)} ms CPU, ${f.peakMB.toFixed(0)} MB peak RSS`);
  console.log('  registrations by type:');
  for (const [t, n] of Object.entries(rows[0].byType).sort((a, b) => b[1] - a[1])) console.log(`    ${String(n).padStart(6)}  ${t}`);
}

function main(): void {
  if (process.argv.includes('--target')) return target();
  const rows = SIZES.map(([n, t]) => {
    const ts = child(n, t, 'ts-node');
    const plain = child(n, t, 'plain');
    const stacks = child(n, t, 'promise-stacks');
    return { ts, plain, stacks, floor: floorChild(plain.kinds) };
  });
  const cell = (r: { ms: number; peakMB: number }) => `${r.ms.toFixed(0).padStart(8)} ${r.peakMB.toFixed(0).padStart(7)}`;
  console.log('program benchmark: Pulumi mock runtime, validate + render + register every resource; one process per size');
  console.log('  ts-node:        the program loaded as `pulumi up` loads TypeScript (stack traces source-mapped)');
  console.log('  plain stacks:   the same without source-mapped stack traces (as a precompiled program)');
  console.log("  promise stacks: ts-node with the SDK's promise-leak stack traces kept (BULWARK_PROMISE_STACKS=1)");
  console.log("  SDK floor:      as many bare components, Commands and Namespaces, plain stacks: the SDK's own cost");
  console.log('                              |    ts-node       |   plain stacks   |  promise stacks  |    SDK floor     |');
  console.log('nodes  tenants  resources     |  wall ms peak MB |  wall ms peak MB |  wall ms peak MB |  wall ms peak MB | components/commands/k8s');
  for (const { ts, plain, stacks, floor: f } of rows)
    console.log(
      `${String(ts.nodes).padStart(5)}  ${String(ts.tenants).padStart(7)}  ${String(ts.resources).padStart(9)}     | ${cell(ts)} | ${cell(plain)} | ${cell(stacks)} | ${cell(f)} | ${ts.kinds.components}/${ts.kinds.commands}/${ts.kinds.kubernetes}`,
    );
  const big = rows.find((r) => r.ts.nodes === 1000 && r.ts.tenants === 500)!;
  for (const [label, r] of [['ts-node', big.ts], ['plain stacks', big.plain], ['promise stacks', big.stacks], ['SDK floor', big.floor]] as const) {
    const met = r.ms < 10_000 && r.peakMB < 1024;
    console.log(`target 1000 nodes + 500 tenants, ${label}: < 10000 ms and < 1024 MB → ${met ? 'met' : 'NOT met'} (${r.ms.toFixed(0)} ms, ${r.peakMB.toFixed(0)} MB)`);
  }
  target();
}

if (require.main !== module) { /* imported */ } else if (process.argv[2] === '--one') void one(Number(process.argv[3]), Number(process.argv[4]));
else if (process.argv[2] === '--floor') void floor(JSON.parse(process.argv[3]) as Kinds);
else main();
