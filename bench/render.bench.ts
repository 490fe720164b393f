/**
 * npm run bench: render generated stacks of 10/100/1,000 nodes with 10/100/500 tenants and
 * print wall time, peak memory, objects per tenant and the cost per node relative to the
 * smallest run (linear growth keeps that ratio near 1). Each size runs in its own process so
 * peak memory is that size's own. Target (issue 2): 1,000 nodes + 500 tenants < 1 s, < 300 MB.
 * With talosctl in the e2e toolchain it also times the same 1,000 nodes done with talosctl, as a ratio
 * (BULWARK_BENCH_PEER_NODES=<n> for another count).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findJudge } from '../e2e/harness/tools';
import { generateSecrets } from '../core/secrets/generate';
import { renderStack, renderedFiles } from '../core/render/index';
import { validateValues } from '../core/stack';
import { generatedStack } from './generate';

const SIZES: [number, number][] = [[10, 10], [100, 100], [1000, 500]];

async function one(nodes: number, tenants: number): Promise<void> {
  const secrets = await generateSecrets();
  const values = generatedStack(nodes, tenants);
  const before = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const v = validateValues(`bench-${nodes}`, values, { today: '2026-11-26' });
  const r = renderStack(v, secrets);
  const files = renderedFiles(r);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const bytes = files.reduce((a, f) => a + f.content.length, 0);
  const perTenant = tenants ? [...r.tenantObjects.values()].reduce((a, o) => a + o.length, 0) / tenants : 0;
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ nodes, tenants, ms, peakMB: peak / 2 ** 20, baseMB: before / 2 ** 20, files: files.length, MB: bytes / 2 ** 20, perTenant }) + '\n');
}

function main(): void {
  const rows = SIZES.map(([n, t]) => {
    const out = execFileSync(process.execPath, [...process.execArgv, __filename, '--one', String(n), String(t)], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()!) as { nodes: number; tenants: number; ms: number; peakMB: number; files: number; MB: number; perTenant: number };
  });
  const base = rows[0].ms / (rows[0].nodes + rows[0].tenants);
  console.log('render benchmark (validate + render + serialise, in memory; one process per size)');
  console.log('nodes  tenants   wall ms   peak RSS MB   files   output MB   objects/tenant   ms per (node+tenant) vs smallest');
  for (const r of rows) {
    const unit = r.ms / (r.nodes + r.tenants);
    console.log(
      `${String(r.nodes).padStart(5)}  ${String(r.tenants).padStart(7)}  ${r.ms.toFixed(0).padStart(8)}  ${r.peakMB.toFixed(0).padStart(12)}  ${String(r.files).padStart(6)}  ${r.MB.toFixed(1).padStart(10)}  ${r.perTenant.toFixed(1).padStart(15)}   ${(unit / base).toFixed(2)}x`,
    );
  }
  const big = rows[rows.length - 1];
  console.log(`target 1000 nodes + 500 tenants: < 1000 ms and < 300 MB → ${big.ms < 1000 && big.peakMB < 300 ? 'met' : 'NOT met'} (${big.ms.toFixed(0)} ms, ${big.peakMB.toFixed(0)} MB)`);
  peer(Number(process.env.BULWARK_BENCH_PEER_NODES ?? 1000));
}

/**
 * The peer: the same nodes rendered by talosctl 1.14 (from `npm run e2e:tools`) the way its users do it, one
 * `gen config` and one `machineconfig patch` per node (hostname, address as SAN, the node's labels), against
 * Bulwark's render of the same stack without tenants, in this run.
 */
function peer(nodes: number): void {
  const j = findJudge('talosctl-1.14');
  if ('absent' in j) return void console.log(`talosctl peer: skipped (${j.absent})`);
  const ours = JSON.parse(execFileSync(process.execPath, [...process.execArgv, __filename, '--one', String(nodes), '0'], { encoding: 'utf8' }).trim().split('\n').pop()!) as { ms: number };
  const values = generatedStack(nodes, 0) as { cluster: { name: string; endpoint: string }; nodes: Array<{ name: string; address: string; role: string; labels: Record<string, string> }> };
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-talosctl-'));
  const talosctl = (args: string[]) => {
    const r = spawnSync(j.path, args, { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
    if (r.status !== 0) throw new Error(`talosctl ${args.join(' ')}: ${r.stderr}`);
  };
  try {
    const t0 = process.hrtime.bigint();
    talosctl(['gen', 'config', values.cluster.name, values.cluster.endpoint, '--kubernetes-version', '1.36.3', '--output-dir', 'base']);
    for (const n of values.nodes) {
      const patch = join(dir, `${n.name}.patch.yaml`);
      writeFileSync(patch, JSON.stringify({ machine: { certSANs: [n.address], nodeLabels: n.labels, install: { disk: '/dev/nvme0n1' } } }) +
        `\n---\n${JSON.stringify({ apiVersion: 'v1alpha1', kind: 'HostnameConfig', auto: 'off', hostname: n.name })}\n`);
      talosctl(['machineconfig', 'patch', `base/${n.role === 'controlplane' ? 'controlplane' : 'worker'}.yaml`, '--patch', `@${patch}`, '--output', `${n.name}.yaml`]);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`talosctl ${j.version} peer, ${nodes} nodes (gen config + one patch per node): ${ms.toFixed(0)} ms vs Bulwark ${ours.ms.toFixed(0)} ms in process → talosctl takes ${(ms / ours.ms).toFixed(0)}x as long`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--one') void one(Number(process.argv[3]), Number(process.argv[4]));
else main();
