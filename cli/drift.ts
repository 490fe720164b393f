/**
 * npm run drift -- --stack <name> [--secrets <file> | --state -] [--server <url>] [--kubeconfig <file>]
 *                  [--no-nodes] [--format md|json]
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
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { StackConfigError } from '../core/config/errors';
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
import { generateSecrets } from '../core/secrets/generate';
import { loadStack } from '../core/stack';
import { UsageError, bundleFromState, bundleSourceProblems, stackOptionProblem } from './break-glass';
import { SecretsFileError, readSecretsFile } from './secrets-file';

const USAGE = 'usage: npm run drift -- --stack <name> [--secrets <file> | --state -] [--server <url>] [--kubeconfig <file>] [--no-nodes] [--format md|json]';

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
    access = { server: inp.server ?? valid.stack.cluster.endpoint, caPem: fromB64(bundle.certs.k8s.crt), cert: d.crt, key: d.key };
  }
  const reader = new KubeReader(access);
  const idx = new ControlIndex(CATALOGUE, rendered.decisions);
  const tenants = valid.stack.tenants.map((t) => ({ name: t.name, selfService: t.selfService }));
  let report: DriftReport;
  try {
    const { live, unread } = await readLiveCluster(reader, expected.map((e) => e.object));
    report = { stack: valid.name, findings: objectDrift(expected, live, tenants, idx), checked: { objects: expected.length - unread.length, nodes: 0 }, unread };
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

export async function main(argv: string[], io: { stdin: () => string; out: (s: string) => void } = { stdin: () => readFileSync(0, 'utf8'), out: (s) => process.stdout.write(s) }): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: 'string' }, secrets: { type: 'string' }, state: { type: 'string' }, server: { type: 'string' }, kubeconfig: { type: 'string' },
      'no-nodes': { type: 'boolean' }, format: { type: 'string', default: 'md' }, help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const problems: string[] = [];
  const stackBad = stackOptionProblem(values.stack);
  if (stackBad) problems.push(stackBad);
  problems.push(...bundleSourceProblems(values));
  if (values.format !== 'md' && values.format !== 'json') problems.push(`--format is ${JSON.stringify(values.format)}; it must be md or json`);
  if (values.server !== undefined && !/^https:\/\/[^\s/]+(\/.*)?$/.test(values.server)) problems.push(`--server ${JSON.stringify(values.server.slice(0, 60))} is not an https URL (e.g. https://127.0.0.1:6443)`);
  if (problems.length) throw new UsageError(`${problems.map((p) => `  - ${p}`).join('\n')}\n${USAGE}`);

  const valid = loadStack({ stack: values.stack! });
  const bundle = values.state ? bundleFromState(io.stdin()) : values.secrets ? readSecretsFile(resolve(values.secrets)) : undefined;
  const kube = values.kubeconfig ? kubeconfigAccess(readFileSync(resolve(values.kubeconfig), 'utf8'), values.kubeconfig) : undefined;
  const report = await detectDrift({ valid, bundle, kube, server: values.server, machineConfig: values['no-nodes'] ? null : undefined });
  io.out(values.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : driftMarkdown(report));
  return exitCode(report);
}

export async function run(argv: string[], io?: Parameters<typeof main>[1]): Promise<number> {
  try {
    return await main(argv, io);
  } catch (e) {
    if (e instanceof StackConfigError || e instanceof UsageError || e instanceof SecretsFileError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`drift failed: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) run(process.argv.slice(2)).then((code) => process.exit(code));
