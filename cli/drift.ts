/**
 * bulwark drift (--stack <name> | --stack-file <path>) [--secrets <file> | --state -] [--server <url>]
 *               [--kubeconfig <file>] [--no-nodes] [--format md|json]   (options: cli/commands/drift.ts)
 *
 * Compares the live cluster with what the stack renders and reports each difference as the
 * control it weakens (core/ops/drift.ts). Read-only. Kubernetes: as bulwark:deployer (a client
 * certificate for today signed from the bundle's Kubernetes CA, as `pulumi up` uses) at the stack's
 * endpoint, or --server (a tunnel or another address of the same API server); existing-cluster
 * stacks: --kubeconfig <file> (client-certificate kubeconfig). Talos: each node's machine
 * configuration by `talosctl get machineconfig -o yaml` with the stack's talosconfig on stdin
 * (--no-nodes skips it, and the report says so).
 * Exit codes: 0 no drift, 3 drift, 4 no drift in what was read but something could not be read,
 * 2 invalid input, 1 anything else.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import type { ValidStack } from '../core/config/validate';
import { CATALOGUE } from '../core/controls/catalogue';
import { machineOwners } from '../core/ops/drift-attribution';
import { ControlIndex, DriftReport, Expected, driftMarkdown, machineConfigDiff, machineDrift, objectDrift } from '../core/ops/drift';
import { KubeAccess, KubeReader, readLiveCluster, readMachineConfig } from '../core/ops/drift-read';
import { EXISTING_CLUSTER_LAYERS, objectsInLayers } from '../core/ops/k8s';
import { renderStack } from '../core/render/index';
import { withQuarterlyAdminClient } from '../core/secrets/admin-client';
import { SecretsBundle, fromB64 } from '../core/secrets/bundle';
import { deployerClient } from '../core/secrets/deployer-client';
import { trustedCasB64 } from '../core/secrets/ca-rotation';
import { generateSecrets } from '../core/secrets/generate';
import { UsageError, bundleFromState, bundleSourceProblems } from './break-glass';
import { GlobalOptions, Io, progress } from './io';
import { readSecretsFile } from './secrets-file';
import { StackArgs, loadStackArg, printWarnings, stackArgProblem } from './stack-arg';

const USAGE = 'usage: bulwark drift (--stack <name> | --stack-file <path>) [--secrets <file> | --state -] [--server <url>] [--kubeconfig <file>] [--no-nodes] [--format md|json]';

export interface DriftInputs {
  valid: ValidStack;
  /** The cluster's secrets (provisioned stacks); the machine configurations are rendered with them. */
  bundle?: SecretsBundle;
  /** Kubernetes API access; default: bulwark:deployer at the stack's endpoint (or `server`). */
  kube?: KubeAccess;
  server?: string;
  /** Reads a node's live machine configuration; default talosctl (core/ops/drift-read.ts). undefined: skip nodes. */
  machineConfig?: ((node: string, talosconfig: string) => Promise<string>) | null;
  now?: Date;
}

/** The drift report of a stack against its live cluster (what `bulwark drift` runs). */
export async function detectDrift(inp: DriftInputs): Promise<DriftReport> {
  const { valid } = inp;
  const now = inp.now ?? new Date();
  const existing = !!valid.stack.existingCluster;
  if (!existing && !inp.bundle) throw new UsageError('a provisioned stack needs its secrets bundle (--secrets <file> or --state -) to render its machine configurations and sign the deployer\'s certificate');
  const bundle = inp.bundle ? await withQuarterlyAdminClient(inp.bundle, now) : undefined;
  // existing-cluster stacks have no secrets of their own; their objects do not depend on any (a throwaway, never written)
  const rendered = renderStack(valid, bundle ?? (await generateSecrets()));
  const { plan } = rendered;
  let expected: Expected[] = [...plan.objects, ...plan.tenantObjects].map((o) => ({ object: o.object, control: o.control }));
  if (existing) {
    const { objects: keep } = objectsInLayers(plan, CATALOGUE, EXISTING_CLUSTER_LAYERS);
    expected = expected.filter((e) => keep.has(e.object));
  } else expected.push(...plan.controlPlane.inlineManifests.flatMap((m) => m.objects.map((object) => ({ object, control: m.control }))));

  let access = inp.kube;
  if (!access) {
    if (!bundle) throw new UsageError('--kubeconfig <file> is needed for an existing-cluster stack');
    const d = await deployerClient(bundle, now);
    access = { server: inp.server ?? valid.stack.cluster.endpoint, caPem: fromB64(trustedCasB64(bundle, 'k8s')), cert: d.crt, key: d.key };
  }
  const reader = new KubeReader(access);
  const idx = new ControlIndex(CATALOGUE, rendered.decisions);
  const tenants = valid.stack.tenants.map((t) => ({ name: t.name, selfService: t.selfService }));
  let report: DriftReport;
  try {
    const { live, unread } = await readLiveCluster(reader, expected.map((e) => e.object));
    report = { stack: valid.name, findings: objectDrift(expected, live, tenants, idx), checked: { objects: live.objects.size, nodes: 0 }, unread };
  } finally {
    reader.close();
  }

  if (existing) return report;
  const read = inp.machineConfig === undefined ? readMachineConfig : inp.machineConfig;
  if (!read) {
    report.unread.push('machine configurations: not read (--no-nodes)');
    return report;
  }
  let owners: ReturnType<typeof machineOwners> | undefined; // computed only when a node drifted
  for (const n of rendered.nodes) {
    let live: string;
    try {
      live = await read(n.address, rendered.talosconfig);
    } catch (e) {
      report.unread.push(`node/${n.name}: ${(e as Error).message}`);
      continue;
    }
    report.checked.nodes++;
    const paths = machineConfigDiff(n.config, live);
    if (!paths.length) continue;
    owners ??= machineOwners(valid, bundle!);
    report.findings.push(...machineDrift(n.name, paths, owners.get(n.name) ?? new Map(), idx));
  }
  return report;
}

export const exitCode = (r: DriftReport) => (r.findings.length ? 3 : r.unread.some((u) => !u.endsWith('(--no-nodes)')) ? 4 : 0);

/** A client-certificate kubeconfig (its current context) as API access. */
export function kubeconfigAccess(text: string, file: string): KubeAccess {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let kc: any;
  try { kc = parse(text); } catch { throw new UsageError(`--kubeconfig ${file}: not YAML`); }
  const ctx = kc?.contexts?.find((c: { name: string }) => c.name === kc['current-context'])?.context ?? kc?.contexts?.[0]?.context;
  const cluster = kc?.clusters?.find((c: { name: string }) => c.name === ctx?.cluster)?.cluster;
  const user = kc?.users?.find((u: { name: string }) => u.name === ctx?.user)?.user;
  const b64 = (v: unknown) => (typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : undefined);
  const access = { server: cluster?.server, caPem: b64(cluster?.['certificate-authority-data']), cert: b64(user?.['client-certificate-data']), key: b64(user?.['client-key-data']) };
  const missing = Object.entries({ 'clusters[].cluster.server': access.server, 'clusters[].cluster.certificate-authority-data': access.caPem, 'users[].user.client-certificate-data': access.cert, 'users[].user.client-key-data': access.key })
    .filter(([, v]) => !v).map(([k]) => k);
  if (missing.length) throw new UsageError(`--kubeconfig ${file}: its current context lacks ${missing.join(', ')} (drift reads with a client certificate)`);
  return access as KubeAccess;
}

export interface DriftArgs extends StackArgs {
  secrets?: string;
  state?: string;
  server?: string;
  kubeconfig?: string;
  /** false with --no-nodes. */
  nodes?: boolean;
  format?: 'md' | 'json';
}

export async function driftCommand(a: DriftArgs, io: Io, g: GlobalOptions): Promise<number> {
  const problems: string[] = [];
  const stackBad = stackArgProblem(a);
  if (stackBad) problems.push(stackBad);
  problems.push(...bundleSourceProblems(a));
  if (a.server !== undefined && !/^https:\/\/[^\s/]+(\/.*)?$/.test(a.server)) problems.push(`--server ${JSON.stringify(a.server.slice(0, 60))} is not an https URL (e.g. https://127.0.0.1:6443)`);
  if (problems.length) throw new UsageError(`${problems.map((p) => `  - ${p}`).join('\n')}\n${USAGE}`);

  const step = progress(io, g);
  const valid = loadStackArg(a, io);
  printWarnings(valid, io);
  const bundle = a.state ? bundleFromState(io.stdin()) : a.secrets ? readSecretsFile(resolve(io.cwd, a.secrets)) : undefined;
  const kube = a.kubeconfig ? kubeconfigAccess(readFileSync(resolve(io.cwd, a.kubeconfig), 'utf8'), a.kubeconfig) : undefined;
  step(`reading the live cluster of ${valid.name}${a.nodes === false ? ' (not its nodes: --no-nodes)' : ''}`);
  const report = await detectDrift({ valid, bundle, kube, server: a.server, machineConfig: a.nodes === false ? null : undefined, now: io.now() });
  io.out(g.output === 'json' || a.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : driftMarkdown(report));
  return exitCode(report);
}

/** `npm run drift -- …`, scripts/ci-drift.sh and older callers: the same as `bulwark drift …`. */
export async function run(argv: string[], io?: { stdin: () => string; out: (s: string) => void }): Promise<number> {
  const { bulwark } = await import('./main');
  return bulwark(['drift', ...argv], io ?? {});
}

if (require.main === module) void run(process.argv.slice(2)).then((code) => process.exit(code));
