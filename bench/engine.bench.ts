/**
 * Benchmark of the program under the real Pulumi engine (`npm run bench:engine`: test/engine/run.sh
 * --bench, so the same CLI, provider, Node 22 and loopback-only network namespace as the suite).
 * Prints figures, asserts nothing.
 *
 *   preview  500 tenants in existing-cluster mode (bench/generate.ts's stack without its nodes; the
 *            1,000 nodes' Talos commands need the command provider, which is not available here):
 *            wall, peak RSS of the CLI (with its provider plugins) and of the program (this process);
 *   up       100 tenants against a real control plane, beside a server-side apply of the same
 *            objects, one request per object in the same order as `kubectl apply --server-side`
 *            would send them (there is no kubectl here), in the same run; ratio, goal <= 3x.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { stringify } from 'yaml';
import { ControlPlane, startControlPlane } from '../e2e/harness/cluster';
import { startIdps } from '../e2e/harness/idp';
import { prepareStack } from '../e2e/harness/stack';
import { loadTools } from '../e2e/harness/tools';
import { CATALOGUE } from '../core/controls/catalogue';
import { EXISTING_CLUSTER_LAYERS, objectsInLayers } from '../core/ops/k8s';
import { PLACEHOLDER_SECRETS } from '../core/ops/placeholder';
import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import type { K8sObj } from '../e2e/harness/kube';
import { TODAY, testSecrets } from '../test/helpers';
import { engine, makeProject, openStack, writeStackFile } from '../test/engine/engine';
import { generatedStack } from './generate';

function kubeconfig(cp: ControlPlane): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'e',
    clusters: [{ name: 'e', cluster: { server: cp.server, 'certificate-authority-data': Buffer.from(cp.caPem).toString('base64') } }],
    users: [{ name: 'a', user: { 'client-certificate-data': Buffer.from(cp.admin.cert!).toString('base64'), 'client-key-data': Buffer.from(cp.admin.key!).toString('base64') } }],
    contexts: [{ name: 'e', context: { cluster: 'e', user: 'a' } }],
  });
}

function existing(tenants: number): Record<string, unknown> {
  const v = generatedStack(0, tenants);
  delete v.nodes;
  for (const t of (v.tenants as Record<string, unknown>[]) ?? []) delete t.dedicatedNodes;
  return v;
}

function objects(name: string, v: Record<string, unknown>): K8sObj[] {
  const r = renderStack(validateValues(name, { ...v, existingCluster: { kubeconfig: 'x' } }, { today: TODAY }), PLACEHOLDER_SECRETS);
  const { objects: keep } = objectsInLayers(r.plan, CATALOGUE, EXISTING_CLUSTER_LAYERS);
  return [...r.objects, ...[...r.tenantObjects.values()].flat()].filter((o) => keep.has(o)) as unknown as K8sObj[];
}

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'bulwark-bench-engine-'));
  // The CLI as the Automation API finds it on PATH, wrapped to record its peak RSS (and its plugins', as children).
  const rss = join(base, 'cli-rss.txt');
  const real = execFileSync('bash', ['-c', 'command -v pulumi'], { encoding: 'utf8' }).trim();
  const bin = join(base, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  // only the subcommand is recorded: the Automation API passes config values (secrets too) as arguments
  writeFileSync(join(bin, 'pulumi'), `#!/bin/sh\nexec /usr/bin/time -a -o "${rss}" -f "%M $1 " "${real}" "$@"\n`);
  chmodSync(join(bin, 'pulumi'), 0o755);
  process.env.PATH = `${bin}:${process.env.PATH}`;
  const eng = engine(base);
  const project = makeProject(base);
  const tools = loadTools();
  const { idp, rogue } = await startIdps(join(base, 'idp'), ['lab']);
  const secrets = await testSecrets();
  const st = await prepareStack('lab', idp.issuer, idp.caPem, secrets);
  const cp = await startControlPlane({ dir: join(base, 'cp'), flags: st.flags, files: st.files, secrets, tools });
  try {
    const peakCli = (op: string) =>
      Math.max(0, ...readFileSync(rss, 'utf8').split('\n').filter((l) => l.includes(` ${op} `) || l.endsWith(` ${op} `)).map((l) => Number(l.split(' ')[0]) / 1024));
    // preview of 500 tenants
    writeStackFile(project, 'bench-500', existing(500));
    const s500 = await openStack(eng, project, 'bench-500');
    await s500.setConfig('bulwark:existingCluster.kubeconfig', { value: kubeconfig(cp), secret: true }, true);
    let t0 = Date.now();
    await s500.preview({ color: 'never' });
    const previewMs = Date.now() - t0;
    console.log(`preview, 500 tenants (${objects('bench-500', existing(500)).length} objects): ${(previewMs / 1000).toFixed(1)} s wall; peak RSS CLI ${peakCli('preview').toFixed(0)} MB, program ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    // up of 100 tenants vs the same objects by server-side apply
    const v100 = existing(100);
    writeStackFile(project, 'bench-100', v100);
    const s100 = await openStack(eng, project, 'bench-100');
    await s100.setConfig('bulwark:existingCluster.kubeconfig', { value: kubeconfig(cp), secret: true }, true);
    t0 = Date.now();
    await s100.up({ color: 'never' });
    const upMs = Date.now() - t0;
    await s100.destroy({ color: 'never' });
    const objs = objects('bench-100', v100);
    t0 = Date.now();
    for (const o of objs) {
      const r = await cp.kube.apply(cp.admin, o);
      if (r.status >= 300) throw new Error(`apply ${o.kind}/${o.metadata.name}: ${r.status} ${r.text.slice(0, 200)}`);
    }
    const ssaMs = Date.now() - t0;
    console.log(`up, 100 tenants (${objs.length} objects): ${(upMs / 1000).toFixed(1)} s; server-side apply of the same objects: ${(ssaMs / 1000).toFixed(1)} s; ratio ${(upMs / ssaMs).toFixed(1)}x (goal <= 3x)`);
  } finally {
    await cp.stop();
    await rogue.stop();
    await idp.stop();
    rmSync(base, { recursive: true, force: true });
  }
  process.exit(0);
}

void main();
