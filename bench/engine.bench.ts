/**
 * Benchmark of the program under the real Pulumi engine (`npm run bench:engine`: test/engine/run.sh
 * --bench, so the same CLI, provider, Node 22 and loopback-only network namespace as the suite).
 * Prints figures, asserts nothing. Run it under the shared lock (a real control plane).
 *
 *   preview  `pulumi preview --diff`, as README and CI run it (BENCH_PREVIEW_DIFF=0: without), in
 *            existing-cluster mode with 100, 250 and 500 tenants (BENCH_PREVIEW_TENANTS), the
 *            cluster reachable, with PULUMI_SKIP_CHECKPOINTS=true as README and CI run it
 *            (BENCH_PREVIEW_CHECKPOINTS=1: without, to see the CLI's quadratic snapshot writes; see
 *            docs/operations.md): wall, peak RSS of the CLI with its plugins (summed) and of the
 *            program (this process; the Automation API runs it inline), the scaling between
 *            sizes, and the CPU time of the CLI, the provider and the program (where the time goes). The 1,000 nodes cannot be previewed here: their Talos commands need the command
 *            provider's plugin, which no registry here serves (bench:program registers them under
 *            the mock runtime instead). A size whose projected time (linear from the last one)
 *            exceeds what is left of BENCH_PREVIEW_BUDGET_S (default 1200) is skipped, and said so.
 *   up       100 tenants (BENCH_UP_TENANTS) against the real control plane, paired with `kubectl
 *            apply --server-side` of the same objects (one file, a fresh discovery cache) in the
 *            same run, kubectl first: the ratio, goal
 *            <= 3x. One pair per variant in BENCH_UP_VARIANTS (comma-separated, default
 *            "skip-checkpoints,checkpoints"; "+parallel=N" adds --parallel N): "checkpoints" is
 *            `pulumi up` as it ships, "skip-checkpoints" with PULUMI_SKIP_CHECKPOINTS=true. Each side
 *            of a pair runs on its own fresh control plane (kubectl from the e2e cache).
 *            BENCH_DESTROY=1 also times `pulumi destroy` after each up (minutes with checkpoints:
 *            run one variant per process to keep each hold of the shared lock short).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { stringify } from 'yaml';
import { ControlPlane, startControlPlane } from '../e2e/harness/cluster';
import { startIdps } from '../e2e/harness/idp';
import { prepareStack } from '../e2e/harness/stack';
import { findJudge, loadTools } from '../e2e/harness/tools';
import { CATALOGUE } from '../core/controls/catalogue';
import { EXISTING_CLUSTER_LAYERS, objectsInLayers } from '../core/ops/k8s';
import { PLACEHOLDER_SECRETS } from '../core/ops/placeholder';
import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import type { K8sObj } from '../e2e/harness/kube';
import { TODAY, testSecrets } from '../test/helpers';
import { Engine, engine, makeProject, openStack, writeStackFile } from '../test/engine/engine';
import { generatedStack } from './generate';
import { resetSelfPeak, selfPeak, treePeak } from './rss';

const PREVIEW_TENANTS = (process.env.BENCH_PREVIEW_TENANTS ?? '100,250,500').split(',').map(Number);
const PREVIEW_BUDGET_MS = Number(process.env.BENCH_PREVIEW_BUDGET_S ?? 1200) * 1000;
const UP_TENANTS = Number(process.env.BENCH_UP_TENANTS ?? 100);
/** `pulumi preview --diff`, as README and scripts/ci-preview.sh run it; BENCH_PREVIEW_DIFF=0 for plain `pulumi preview`. */
const PREVIEW_DIFF = process.env.BENCH_PREVIEW_DIFF !== '0';
/** Previews as README and CI run them, PULUMI_SKIP_CHECKPOINTS=true; BENCH_PREVIEW_CHECKPOINTS=1 for the CLI's default. */
const PREVIEW_CHECKPOINTS = process.env.BENCH_PREVIEW_CHECKPOINTS === '1';
const UP_VARIANTS = (process.env.BENCH_UP_VARIANTS ?? 'skip-checkpoints,checkpoints').split(',');
const DESTROY = process.env.BENCH_DESTROY === '1';
/** The CLI and its plugins (pulumi-resource-kubernetes), not the control plane beside them. */
const CLI = /^pulumi/;

function kubeconfig(cp: ControlPlane): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'e',
    clusters: [{ name: 'e', cluster: { server: cp.server, 'certificate-authority-data': Buffer.from(cp.caPem).toString('base64') } }],
    users: [{ name: 'a', user: { 'client-certificate-data': Buffer.from(cp.admin.cert!).toString('base64'), 'client-key-data': Buffer.from(cp.admin.key!).toString('base64') } }],
    contexts: [{ name: 'e', context: { cluster: 'e', user: 'a' } }],
  });
}

/** bench/generate.ts's stack without its nodes: existing-cluster mode. */
function existing(tenants: number): Record<string, unknown> {
  const v = generatedStack(0, tenants);
  delete v.nodes;
  // Pulumi.yaml declares bulwark:ingressNamespace without a default, so the CLI refuses a stack
  // without it; no tenant here declares allow.fromIngress, so it renders nothing.
  v.ingressNamespace = 'ingress';
  return v;
}

/** The objects the program applies in existing-cluster mode, in its order (cluster-wide, then each tenant's, Namespace first). */
function objects(name: string, v: Record<string, unknown>): K8sObj[] {
  const r = renderStack(validateValues(name, { ...v, existingCluster: { kubeconfig: 'x' } }, { today: TODAY }), PLACEHOLDER_SECRETS);
  const { objects: keep } = objectsInLayers(r.plan, CATALOGUE, EXISTING_CLUSTER_LAYERS);
  return [...r.objects, ...[...r.tenantObjects.values()].flat()].filter((o) => keep.has(o)) as unknown as K8sObj[];
}

interface Measured<T> {
  result: T;
  ms: number;
  cliMB: number;
  programMB: number;
  /** CPU seconds: the CLI, the kubernetes provider, the program (this process). */
  cpu: { cli: number; provider: number; program: number };
}

const cpuCell = (c: Measured<unknown>['cpu']) => `${c.cli.toFixed(0)}/${c.provider.toFixed(0)}/${c.program.toFixed(0)}`;

/** Runs `f` with these variables set (undefined: unset) for the CLI the Automation API starts, then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, f: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) if (x === undefined) delete process.env[k];
    else process.env[k] = x;
  };
  set(vars);
  try {
    return await f();
  } finally {
    set(saved);
  }
}

async function measured<T>(f: () => Promise<T>): Promise<Measured<T>> {
  resetSelfPeak();
  const tree = treePeak(CLI);
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  try {
    const result = await f();
    const ms = Date.now() - t0;
    const self = process.cpuUsage(cpu0);
    const cliMB = tree.stop();
    const by = tree.cpu();
    const provider = Object.entries(by).filter(([k]) => k.startsWith('pulumi-resource')).reduce((a, [, v]) => a + v, 0);
    return { result, ms, cliMB, programMB: selfPeak(), cpu: { cli: by.pulumi ?? 0, provider, program: (self.user + self.system) / 1e6 } };
  } finally {
    tree.stop();
  }
}

async function stackOf(eng: Engine, project: string, name: string, tenants: number, cp: ControlPlane) {
  writeStackFile(project, name, existing(tenants));
  const s = await openStack(eng, project, name);
  await s.setConfig('bulwark:existingCluster.kubeconfig', { value: kubeconfig(cp), secret: true }, true);
  return s;
}

async function previews(eng: Engine, project: string, cp: ControlPlane): Promise<void> {
  console.log(`${PREVIEW_CHECKPOINTS ? '' : 'PULUMI_SKIP_CHECKPOINTS=true '}pulumi preview${PREVIEW_DIFF ? ' --diff' : ''} (existing-cluster mode, cluster reachable; the 1,000 nodes need the command provider, not available here):`);
  console.log('tenants  objects  creates   wall s  s/100 tenants  CLI+plugins MB  program MB  CPU s CLI/provider/program');
  const started = Date.now();
  let last: { tenants: number; ms: number } | undefined;
  for (const tenants of PREVIEW_TENANTS) {
    const projected = last ? (last.ms * tenants) / last.tenants : 0;
    if (last && projected > PREVIEW_BUDGET_MS - (Date.now() - started)) {
      console.log(`${String(tenants).padStart(7)}  skipped: projected ${(projected / 1000).toFixed(0)} s (linear from ${last.tenants}) exceeds what is left of BENCH_PREVIEW_BUDGET_S`);
      continue;
    }
    const s = await stackOf(eng, project, `bench-preview-${tenants}`, tenants, cp);
    const m = await withEnv({ PULUMI_SKIP_CHECKPOINTS: PREVIEW_CHECKPOINTS ? undefined : 'true' }, () => measured(() => s.preview({ color: 'never', diff: PREVIEW_DIFF })));
    const creates = m.result.changeSummary.create ?? 0;
    console.log(
      `${String(tenants).padStart(7)}  ${String(objects('b', existing(tenants)).length).padStart(7)}  ${String(creates).padStart(7)}  ${(m.ms / 1000).toFixed(1).padStart(7)}  ${((m.ms / 1000 / tenants) * 100).toFixed(1).padStart(13)}  ${m.cliMB.toFixed(0).padStart(14)}  ${m.programMB.toFixed(0).padStart(10)}  ${cpuCell(m.cpu)}`,
    );
    last = { tenants, ms: m.ms };
  }
}

/** `kubectl apply --server-side` of `objs` from one file, timed. */
function serverSideApply(base: string, cp: ControlPlane, objs: K8sObj[]): { ms: number; how: string } {
  const kubectl = findJudge('kubectl');
  if ('absent' in kubectl) throw new Error(`bench:engine pairs \`pulumi up\` with kubectl from the e2e cache: ${kubectl.absent} (npm run e2e:tools)`);
  const dir = mkdtempSync(join(base, 'kubectl-'));
  const kc = join(dir, 'kubeconfig');
  writeFileSync(kc, kubeconfig(cp), { mode: 0o600 });
  const file = join(dir, 'objects.yaml');
  writeFileSync(file, objs.map((o) => stringify(o)).join('---\n'));
  const t0 = Date.now();
  execFileSync(kubectl.path, ['apply', '--server-side', '--field-manager=bench', '-f', file, '--kubeconfig', kc, '--cache-dir', join(dir, 'cache')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { ms: Date.now() - t0, how: `kubectl ${kubectl.version} apply --server-side -f (one file, fresh discovery cache)` };
}

/** A BENCH_UP_VARIANTS entry: "checkpoints" or "skip-checkpoints", optionally "+parallel=N". */
function variant(v: string): { env: Record<string, string | undefined>; parallel?: number } {
  const [mode, ...opts] = v.split('+');
  if (mode !== 'checkpoints' && mode !== 'skip-checkpoints') throw new Error(`BENCH_UP_VARIANTS: ${JSON.stringify(v)}: expected checkpoints or skip-checkpoints, optionally +parallel=N`);
  const parallel = opts.map((o) => /^parallel=(\d+)$/.exec(o)?.[1]).find(Boolean);
  if (opts.length && !parallel) throw new Error(`BENCH_UP_VARIANTS: ${JSON.stringify(v)}: the only option is +parallel=N`);
  return { env: { PULUMI_SKIP_CHECKPOINTS: mode === 'skip-checkpoints' ? 'true' : undefined }, parallel: parallel ? Number(parallel) : undefined };
}

/**
 * Each variant's pair on fresh control planes (starting one takes seconds; deleting 100 namespaces
 * takes the namespace controller minutes here): kubectl on one, `pulumi up` on the next, each
 * stopped after.
 */
async function upBesideKubectl(eng: Engine, project: string, base: string, fresh: (name: string) => Promise<ControlPlane>): Promise<void> {
  const objs = objects('b', existing(UP_TENANTS));
  console.log(`up, ${UP_TENANTS} tenants (${objs.length} objects), each variant paired with server-side apply of the same objects, each on a fresh control plane:`);
  for (const [i, v] of UP_VARIANTS.entries()) {
    const { env, parallel } = variant(v);
    let cp = await fresh(`cp-kubectl-${i}`);
    let ssa: { ms: number; how: string };
    try {
      ssa = serverSideApply(base, cp, objs);
    } finally {
      await cp.stop();
    }
    cp = await fresh(`cp-up-${i}`);
    try {
      const s = await stackOf(eng, project, `bench-up-${UP_TENANTS}-${i}`, UP_TENANTS, cp);
      const up = await withEnv(env, () => measured(() => s.up({ color: 'never', ...(parallel ? { parallel } : {}) })));
      console.log(`  ${v}: up ${(up.ms / 1000).toFixed(1)} s wall (${up.result.summary.resourceChanges?.create ?? 0} creates), peak CLI+plugins ${up.cliMB.toFixed(0)} MB, program ${up.programMB.toFixed(0)} MB, CPU s CLI/provider/program ${cpuCell(up.cpu)}; ${ssa.how}: ${(ssa.ms / 1000).toFixed(1)} s; ratio ${(up.ms / ssa.ms).toFixed(1)}x (goal <= 3x)`);
      if (DESTROY) {
        const destroy = await withEnv(env, () => measured(() => s.destroy({ color: 'never', ...(parallel ? { parallel } : {}) })));
        console.log(`  ${v}: destroy after it ${(destroy.ms / 1000).toFixed(1)} s`);
      }
    } finally {
      await cp.stop();
    }
  }
}

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'bulwark-bench-engine-'));
  const eng = engine(base);
  const project = makeProject(base);
  const tools = loadTools();
  const { idp, rogue } = await startIdps(join(base, 'idp'), ['lab']);
  const secrets = await testSecrets();
  const st = await prepareStack('lab', idp.issuer, idp.caPem, secrets);
  const fresh = (name: string) => startControlPlane({ dir: join(base, name), flags: st.flags, files: st.files, secrets, tools });
  const only = process.env.BENCH_ONLY; // 'preview' or 'up': one half, for development
  try {
    if (only !== 'up') {
      const cp = await fresh('cp-preview');
      await previews(eng, project, cp).finally(() => cp.stop());
    }
    if (only !== 'preview') await upBesideKubectl(eng, project, base, fresh);
  } finally {
    await rogue.stop();
    await idp.stop();
    rmSync(base, { recursive: true, force: true });
  }
  process.exit(0);
}

void main();
