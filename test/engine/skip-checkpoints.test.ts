/**
 * What docs/operations.md ("Large stacks") promises of `PULUMI_SKIP_CHECKPOINTS=true pulumi up` in
 * existing-cluster mode, under the real CLI and provider against a real control plane: a CLI killed
 * mid-run (SIGKILL: a crash, not a cancel) has recorded none of what it created, and `pulumi cancel`
 * (the stack's lock), `pulumi refresh` and `PULUMI_K8S_ENABLE_PATCH_FORCE=true pulumi up` recover
 * (a plain `up` stops on field conflicts with the dead run), then a plain `up` (the provider's
 * recorded force setting): every object adopted, then no change left. The speed it buys is bench:engine's to measure, not a test's.
 */
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ControlPlane, startControlPlane } from '../../e2e/harness/cluster';
import { Idp, startIdps } from '../../e2e/harness/idp';
import { descendants, processTable } from '../../e2e/harness/processes';
import { prepareStack } from '../../e2e/harness/stack';
import { loadTools } from '../../e2e/harness/tools';
import { generatedStack } from '../../bench/generate';
import { testSecrets } from '../helpers';
import { engineFile, openStack, timed, writeStackFile } from './engine';

const TENANTS = 15;
/** Kill the CLI once this many objects are created: well inside the run (15 tenants: ~120 objects). */
const KILL_AFTER = 30;

let idp: Idp;
let rogue: Idp;
let cp: ControlPlane;
const { base, eng, project } = engineFile(__filename, async () => {
  await cp?.stop();
  await rogue?.stop();
  await idp?.stop();
});

beforeAll(async () => {
  ({ idp, rogue } = await startIdps(join(base, 'idp'), ['lab']));
  const secrets = await testSecrets();
  const st = await prepareStack('lab', idp.issuer, idp.caPem, secrets);
  cp = await startControlPlane({ dir: join(base, 'cp'), flags: st.flags, files: st.files, secrets, tools: loadTools() });
}, 300_000);

function kubeconfig(): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'e',
    clusters: [{ name: 'e', cluster: { server: cp.server, 'certificate-authority-data': Buffer.from(cp.caPem).toString('base64') } }],
    users: [{ name: 'a', user: { 'client-certificate-data': Buffer.from(cp.admin.cert!).toString('base64'), 'client-key-data': Buffer.from(cp.admin.key!).toString('base64') } }],
    contexts: [{ name: 'e', context: { cluster: 'e', user: 'a' } }],
  });
}

/**
 * Kill the `pulumi` processes this process started (the Automation API's CLI) as a crash would, then
 * the plugins they started (the kubernetes provider): a killed CLI's plugins outlive it, and the test
 * must not leave them running.
 */
function crashCli(): number[] {
  const all = processTable();
  const cli = all.filter((p) => p.name === 'pulumi' && p.ppid === process.pid).map((p) => p.pid);
  const plugins = descendants(all, cli).map((p) => p.pid);
  for (const pid of cli) process.kill(pid, 'SIGKILL');
  for (const pid of plugins) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  return [...cli, ...plugins];
}

async function tenantNamespaces(): Promise<string[]> {
  const r = await cp.kube.request(cp.admin, 'GET', '/api/v1/namespaces');
  return (JSON.parse(r.text) as { items: { metadata: { name: string } }[] }).items.map((n) => n.metadata.name).filter((n) => n.startsWith('t-'));
}

test('a killed `up` without checkpoints records nothing; cancel, refresh and a forced up adopt every object', async () => {
  const v = generatedStack(0, TENANTS);
  delete v.nodes;
  v.ingressNamespace = 'ingress';
  writeStackFile(project, 'skipckpt', v);
  const s = await openStack(eng, project, 'skipckpt');
  await s.setConfig('bulwark:existingCluster.kubeconfig', { value: kubeconfig(), secret: true }, true);

  process.env.PULUMI_SKIP_CHECKPOINTS = 'true';
  let created = 0;
  let killed: number[] = [];
  try {
    await expect(
      timed('up without checkpoints, killed', () =>
        s.up({
          color: 'never',
          onEvent: (e) => {
            if (e.resOutputsEvent?.metadata.op === 'create' && e.resOutputsEvent.metadata.type.startsWith('kubernetes:') && ++created === KILL_AFTER) {
              killed = crashCli();
            }
          },
        }),
      ),
    ).rejects.toThrow();
  } finally {
    delete process.env.PULUMI_SKIP_CHECKPOINTS;
  }
  expect(killed.length).toBeGreaterThan(1); // the CLI and at least the kubernetes provider
  await new Promise((r) => setTimeout(r, 500));
  const alive = processTable().filter((p) => killed.includes(p.pid) && p.state !== 'Z'); // a zombie has ended
  expect(alive).toEqual([]);
  // Objects exist in the cluster that the state does not know.
  expect((await tenantNamespaces()).length).toBeGreaterThan(0);
  const lost = await s.exportStack();
  expect((lost.deployment.resources ?? []).filter((r: { type: string }) => r.type.startsWith('kubernetes:') && !r.type.startsWith('pulumi:providers'))).toEqual([]);

  // Recovery, with checkpoints: the lock the killed CLI left, then refresh and up.
  await timed('cancel (the killed run\'s lock)', () => s.cancel());
  await timed('refresh', () => s.refresh({ color: 'never' }));
  // The dead run's objects belong to its own field managers (the provider names one per resource,
  // at random): a plain `up` stops on apply conflicts with them (atomic fields the server defaulted,
  // e.g. a ValidatingAdmissionPolicy's spec.matchConstraints). Forcing takes them over.
  const plain = await s.up({ color: 'never' }).then(() => 'succeeded', (e: Error) => e.message);
  expect(plain).toMatch(/Server-Side Apply field conflict/);
  process.env.PULUMI_K8S_ENABLE_PATCH_FORCE = 'true';
  const up = await timed('up again, PULUMI_K8S_ENABLE_PATCH_FORCE=true', () => s.up({ color: 'never' })).finally(() => delete process.env.PULUMI_K8S_ENABLE_PATCH_FORCE);
  expect(up.summary.result).toBe('succeeded');
  // The provider records the variable as its enablePatchForce setting: a plain `up` drops it, changing no object.
  const after = await timed('up, plain', () => s.up({ color: 'never' }));
  expect(Object.entries(after.summary.resourceChanges ?? {}).filter(([op, n]) => op !== 'same' && n)).toEqual([['update', 1]]);
  expect((await tenantNamespaces()).sort()).toEqual(Array.from({ length: TENANTS }, (_, i) => `t-${String(i + 1).padStart(4, '0')}`));
  await timed('preview --expect-no-changes', () => s.preview({ color: 'never', expectNoChanges: true }));
});
