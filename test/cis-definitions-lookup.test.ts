/**
 * Where render, posture and diff find kube-bench's CIS 1.12 definitions outside a checkout with
 * shared/ beside it: the cfg folder the e2e toolchain installed, as its manifest names it
 * (kube-bench/<version>/cfg), so `npm run e2e:tools` is enough for the posture's CIS table.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDefinitions } from '../core/cis/definitions';

test("the toolchain's kube-bench cfg folder, from its manifest", () => {
  const cache = mkdtempSync(join(tmpdir(), 'bulwark-cache-'));
  const cfg = join(cache, 'kube-bench', 'v0.15.6', 'cfg');
  mkdirSync(join(cfg, 'cis-1.12'), { recursive: true });
  writeFileSync(join(cfg, 'cis-1.12', 'master.yaml'), 'groups: []\n');
  writeFileSync(join(cache, 'manifest.json'), JSON.stringify({ tools: { 'kube-bench': { version: 'v0.15.6', cfgDir: cfg } } }));
  const repo = mkdtempSync(join(tmpdir(), 'bulwark-repo-')); // no shared/ beside it
  const saved = { cache: process.env.BULWARK_E2E_CACHE, cfg: process.env.BULWARK_KUBE_BENCH_CFG };
  process.env.BULWARK_E2E_CACHE = cache;
  delete process.env.BULWARK_KUBE_BENCH_CFG;
  try {
    expect(findDefinitions(join(repo, 'checkout'))).toBe(join(cfg, 'cis-1.12'));
    writeFileSync(join(cache, 'manifest.json'), '{"tools": {}}');
    expect(findDefinitions(join(repo, 'checkout'))).toBeUndefined();
  } finally {
    for (const [k, v] of [['BULWARK_E2E_CACHE', saved.cache], ['BULWARK_KUBE_BENCH_CFG', saved.cfg]] as const) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
});
