/**
 * Benchmark of the Pulumi program under Pulumi's mock runtime (no engine, no providers): how
 * long the program takes to validate, render and register every resource, and its peak
 * memory, for 10/100/1,000 nodes and 10/100/500 tenants. Each size runs in its own process,
 * so the peak is that size's own.
 *
 *   npx ts-node --transpile-only bench/program.bench.ts
 *
 * Target (issue 5): 1,000 nodes + 500 tenants registered in < 10 s and < 1 GB.
 */
import { execFileSync } from 'node:child_process';
import * as pulumi from '@pulumi/pulumi';

/** Sizes: nodes × tenants. */
const SIZES: [number, number][] = [
  [10, 10],
  [100, 10],
  [1000, 10],
  [10, 100],
  [10, 500],
  [1000, 500],
];

/** Raw `bulwark:` values: 3 control planes, the rest workers; tenants t-0001… each with its own group. */
export function benchStack(nodes: number, tenants: number): Record<string, unknown> {
  const cps = Math.min(3, nodes);
  return {
    profile: 'multi-team',
    site: 'datacenter',
    cluster: {
      name: `bench-${nodes}`,
      endpoint: 'https://k8s.bench.example.com:6443',
      talosVersion: 'v1.14.1',
      kubernetesVersion: 'v1.36.4',
      contract: '1.14',
      podSubnets: ['10.244.0.0/16'],
      serviceSubnets: ['10.96.0.0/12'],
    },
    nodes: Array.from({ length: nodes }, (_, i) => ({
      name: `node-${String(i + 1).padStart(4, '0')}`,
      address: `10.${1 + Math.floor(i / 62500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`,
      role: i < cps ? 'controlplane' : 'worker',
      installDisk: '/dev/nvme0n1',
      labels: { 'topology.kubernetes.io/zone': `zone-${i % 3}` },
    })),
    oidc: {
      issuers: [
        {
          url: 'https://login.bench.example.com',
          audiences: ['bench'],
          claims: { username: { claim: 'email', prefix: 'oidc:' }, groups: { claim: 'groups', prefix: 'oidc:' } },
          requiredClaims: { email_verified: 'true' },
        },
      ],
      clientId: 'bench',
      platformAdminGroups: ['platform'],
      auditorGroups: ['auditors'],
    },
    tenants: Array.from({ length: tenants }, (_, i) => ({ name: `t-${String(i + 1).padStart(4, '0')}`, groups: [`group-${String(i + 1).padStart(4, '0')}`] })),
    operations: { healthTimeout: '10m', workerBatchSize: 10, environment: 'production' },
  };
}

interface Row {
  nodes: number;
  tenants: number;
  resources: number;
  ms: number;
  peakMB: number;
  heapMB: number;
}

async function one(nodes: number, tenants: number): Promise<void> {
  process.env.BULWARK_TODAY = '2026-11-26';
  const { generateSecrets } = await import('../core/secrets/generate');
  const bundle = await generateSecrets(new Date('2026-01-01T00:00:00Z'));
  let resources = 0;
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        resources++;
        const state: Record<string, unknown> = { ...a.inputs };
        if (a.type.startsWith('pulumi-nodejs:dynamic')) state.bundle = bundle;
        if (a.type === 'command:local:Command') Object.assign(state, { stdout: '', stderr: '' });
        return { id: `${a.name}-id`, state };
      },
      call: (a) => a.inputs,
    },
    'bulwark',
    `bench-${nodes}-${tenants}`,
    false,
  );
  const values = benchStack(nodes, tenants);
  pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(values).map(([k, v]) => [`bulwark:${k}`, typeof v === 'string' ? v : JSON.stringify(v)])), []);
  // Load the program (and @pulumi/kubernetes) before the clock starts: module loading is not the program's cost.
  const { bulwarkProgram } = await import('../components/program');
  const t0 = process.hrtime.bigint();
  await pulumi.runtime.runInPulumiStack(() => bulwarkProgram() as unknown as Promise<Record<string, unknown>>);
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const row: Row = { nodes, tenants, resources, ms, peakMB: (process.resourceUsage().maxRSS * 1024) / 2 ** 20, heapMB: process.memoryUsage().heapUsed / 2 ** 20 };
  process.stdout.write(`${JSON.stringify(row)}\n`);
}

function main(): void {
  const rows = SIZES.map(([n, t]) => {
    const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--one', String(n), String(t)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    return JSON.parse(out.trim().split('\n').pop()!) as Row;
  });
  console.log('program benchmark (Pulumi mock runtime: validate, render, register every resource; one process per size)');
  console.log('nodes  tenants  resources   wall ms   peak RSS MB   heap MB   ms per resource');
  for (const r of rows)
    console.log(
      `${String(r.nodes).padStart(5)}  ${String(r.tenants).padStart(7)}  ${String(r.resources).padStart(9)}  ${r.ms.toFixed(0).padStart(8)}  ${r.peakMB.toFixed(0).padStart(12)}  ${r.heapMB.toFixed(0).padStart(8)}  ${(r.ms / r.resources).toFixed(3).padStart(16)}`,
    );
  const big = rows.find((r) => r.nodes === 1000 && r.tenants === 500)!;
  const met = big.ms < 10_000 && big.peakMB < 1024;
  console.log(`target 1000 nodes + 500 tenants: < 10000 ms and < 1024 MB → ${met ? 'met' : 'NOT met'} (${big.ms.toFixed(0)} ms, ${big.peakMB.toFixed(0)} MB)`);
  if (!met) process.exitCode = 1;
}

if (process.argv[2] === '--one') void one(Number(process.argv[3]), Number(process.argv[4]));
else main();
