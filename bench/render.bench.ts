/**
 * npm run bench: render generated stacks of 10/100/1,000 nodes with 10/100/500 tenants and
 * print wall time, peak memory, objects per tenant and the cost per node relative to the
 * smallest run (linear growth keeps that ratio near 1). Each size runs in its own process so
 * peak memory is that size's own. Target (issue 2): 1,000 nodes + 500 tenants < 1 s, < 300 MB.
 */
import { execFileSync } from 'node:child_process';
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
}

if (process.argv[2] === '--one') void one(Number(process.argv[3]), Number(process.argv[4]));
else main();
