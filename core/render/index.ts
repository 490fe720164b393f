/**
 * The pure renderer: validated stack + cluster secrets → every file Bulwark writes. No clock,
 * no randomness, stable key order: the same input gives the same bytes.
 */
import { stringify } from 'yaml';
import { authenticationConfiguration } from '../auth/authentication';
import type { CisCheck } from '../cis/definitions';
import { type CisNode, cisNode, patchedCisRows } from '../cis/patched';
import type { CisRow } from '../cis/report';
import type { ValidStack } from '../config/validate';
import { CATALOGUE } from '../controls/catalogue';
import { ControlDecision, controlContext, decideControls } from '../controls/resolve';
import type { Control } from '../controls/types';
import { PostureReport, VerificationResults, buildPosture, verificationFor } from '../posture/report';
import { postureFiles } from '../posture/formats';
import type { SecretsBundle } from '../secrets/bundle';
import { trustedCasB64 } from '../secrets/ca-rotation';
import { talosconfig, userKubeconfig } from './clients';
import { K8sObject, sortObjects } from './k8s';
import { MachineInputs } from './machine/inputs';
import { renderMultiDoc } from './machine/multidoc';
import { renderV1Alpha1 } from './machine/v1alpha1';
import { ClusterPlan, buildPlan } from './plan';
import { emitYaml } from './yaml-emit';
import { BootMedia, bootMedia } from './boot-media';
import { Schematic, installerImage, schematicFor, schematicId, schematicYaml } from './schematic';
import { stackPatcher } from './patches-stack';
import { nodeSchematic } from './schematic-user';
import type { ConfigProblem } from '../config/errors';
import { configPreview, secretNeedles } from '../ops/config-preview';

export const toYaml = (v: unknown): string => stringify(v, { lineWidth: 0, aliasDuplicateObjects: false });
export const toYamlDocs = (docs: unknown[], yaml: (v: unknown) => string = toYaml): string => docs.map(yaml).join('---\n');

/**
 * Most documents are identical across nodes of a role (1,000 workers share one KubeletConfig):
 * serialise each distinct document once per render. Keyed by its JSON, which is far cheaper
 * than YAML serialisation.
 */
function memoisedYaml(): (v: unknown) => string {
  const memo = new Map<string, string>();
  return (v) => {
    const key = JSON.stringify(v);
    let out = memo.get(key);
    if (out === undefined) memo.set(key, (out = toYaml(v)));
    return out;
  };
}

export interface RenderedNode {
  name: string;
  role: 'controlplane' | 'worker';
  address: string;
  schematicId: string;
  installer: string;
  /** ISO, raw disk image and PXE URLs of the node's schematic and Talos version (core/render/boot-media.ts). */
  bootMedia: BootMedia;
  config: string;
  /** With RenderOptions.configPreview: the configuration one setting per line, secrets redacted (core/ops/config-preview.ts). */
  configPreview?: string;
}

export interface RenderedStack {
  name: string;
  nodes: RenderedNode[];
  schematics: Map<string, string>;
  /** Cluster-wide objects, in apply order. */
  objects: K8sObject[];
  /** Per-tenant objects, in apply order. */
  tenantObjects: Map<string, K8sObject[]>;
  talosconfig: string;
  kubeconfig?: string;
  posture: PostureReport;
  /** How changes roll out: the stack's operations, tightened by controls (edge: conservative). */
  operations: { workerBatchSize: number; healthTimeout: string; resetOnDestroy: boolean };
  decisions: ControlDecision[];
  plan: ClusterPlan;
}

export interface RenderOptions {
  catalogue?: readonly Control[];
  cis?: { checks: CisCheck[]; source: string };
  /** Results of the end-to-end suite, shown per control in the posture report. */
  verification?: VerificationResults;
  /** Also give each node its configuration preview (the program's placeholder render: what `pulumi preview --diff` shows). */
  configPreview?: boolean;
  /** Called before each node is rendered (index, count, name): the CLI's progress for stacks of many nodes. */
  onNode?: (index: number, total: number, name: string) => void;
}

export function renderStack(v: ValidStack, secrets: SecretsBundle, opts: RenderOptions = {}): RenderedStack {
  const { stack } = v;
  const ctx = controlContext(stack, v.profile);
  const decisions = decideControls(opts.catalogue ?? CATALOGUE, ctx);
  const plan = buildPlan(decisions, ctx);
  // config patches apply last; the posture is the patched configs' (core/render/patches-stack.ts)
  const patcher = stackPatcher(v, decisions, plan, ctx);
  const schematicProblems: ConfigProblem[] = [];
  const authentication = plan.controlPlane.authentication?.value ?? authenticationConfiguration(undefined);
  const controlPlaneSchedulable = !stack.nodes.some((n) => n.role === 'worker');

  const yaml = memoisedYaml();
  const schematics = new Map<string, string>();
  const schematicCache = new Map<string, { id: string; s: Schematic }>();
  const needles = opts.configPreview ? secretNeedles(secrets) : [];
  const cisNodes: CisNode[] = [];
  const nodes: RenderedNode[] = stack.nodes.map((node, i) => {
    opts.onNode?.(i, stack.nodes.length, node.name);
    const machine = plan.machine(node);
    // the controls' kernel arguments and extensions, then the stack's own choices (conflicts are problems)
    const { kernelArgs, extensions, problems } = nodeSchematic(stack, node, machine);
    schematicProblems.push(...problems);
    const key = JSON.stringify([kernelArgs, extensions]);
    let sch = schematicCache.get(key);
    if (!sch) {
      const s = schematicFor(kernelArgs, extensions);
      sch = { id: schematicId(s), s };
      schematicCache.set(key, sch);
      schematics.set(sch.id, schematicYaml(s));
    }
    const installer = installerImage(sch.id, stack.cluster.talosVersion, machine.secureboot, stack.imageFactory);
    const inputs: MachineInputs = {
      stack, node, machine, controlPlane: plan.controlPlane, secrets, talosLine: ctx.talosLine, installerImage: installer, authentication, controlPlaneSchedulable,
    };
    const unpatched = stack.cluster.contract === '1.14' ? renderMultiDoc(inputs) : renderV1Alpha1(inputs, toYaml);
    const docs = patcher.apply(node, unpatched);
    // the components as the patched config runs them, for the posture's CIS table (core/cis/patched.ts)
    if (!stack.existingCluster) {
      const c = cisNode(v, ctx.talosLine, node, unpatched, docs);
      cisNodes.push(c.node);
      schematicProblems.push(...c.problems);
    }
    return {
      name: node.name, role: node.role, address: node.address, schematicId: sch.id, installer,
      bootMedia: bootMedia(stack.imageFactory, sch.id, stack.cluster.talosVersion, machine.secureboot), config: toYamlDocs(docs, yaml),
      ...(opts.configPreview ? { configPreview: configPreview(docs, needles) } : {}),
    };
  });

  const patchedDecisions = patcher.decisions(schematicProblems);
  const objects = sortObjects(plan.objects.map((o) => o.object));
  // grouped in one pass (a filter per tenant was quadratic in tenants), in the stack's tenant order
  const byTenant = new Map<string, K8sObject[]>(stack.tenants.map((t) => [t.name, []]));
  for (const o of plan.tenantObjects) byTenant.get(o.tenant)?.push(o.object);
  const tenantObjects = new Map([...byTenant].map(([name, objs]) => [name, sortObjects(objs)]));

  let cis: { rows?: CisRow[]; source?: string; reason?: string } = {};
  // In existing-cluster mode Bulwark sets no component flag, so an evaluation of its own flags
  // would say nothing about the cluster: run kube-bench there instead.
  if (stack.existingCluster) cis = { reason: 'existing-cluster mode: Bulwark does not set this cluster\'s component flags; run kube-bench on its nodes.' };
  else if (opts.cis) cis = { rows: patchedCisRows(v, ctx.talosLine, opts.cis.checks, cisNodes, decisions), source: opts.cis.source };
  const posture = buildPosture(
    v, patchedDecisions, plan, cis, nodes.map((n) => ({ name: n.name, role: n.role, schematic: n.schematicId, installer: n.installer })),
    verificationFor(opts.verification, v.name),
  );
  const kc = userKubeconfig(stack, trustedCasB64(secrets, 'k8s'));
  return {
    name: v.name,
    nodes,
    schematics,
    objects,
    tenantObjects,
    talosconfig: toYaml(talosconfig(stack, secrets)),
    kubeconfig: kc ? toYaml(kc) : undefined,
    posture,
    operations: effectiveOperations(stack.operations, plan.operations),
    decisions: patchedDecisions,
    plan,
  };
}

function minutes(d: string): number {
  let total = 0;
  for (const [, n, u] of d.matchAll(/(\d+)([hms])/g)) total += Number(n) * (u === 'h' ? 60 : u === 'm' ? 1 : 1 / 60);
  return total;
}

export function effectiveOperations(ops: ValidStack['stack']['operations'], limits: ClusterPlan['operations']): RenderedStack['operations'] {
  const workerBatchSize = Math.min(ops.workerBatchSize, limits.maxWorkerBatchSize ?? Infinity);
  const min = limits.minHealthTimeoutMinutes ?? 0;
  const healthTimeout = minutes(ops.healthTimeout) >= min ? ops.healthTimeout : `${min}m`;
  return { workerBatchSize, healthTimeout, resetOnDestroy: ops.resetOnDestroy };
}

/** Relative path → content, as the CLI writes them (secret files marked for 0600). */
export function renderedFiles(r: RenderedStack): { path: string; content: string; secret: boolean }[] {
  const files: { path: string; content: string; secret: boolean }[] = [];
  // Machine configs carry CA keys and tokens: secret.
  for (const n of r.nodes) files.push({ path: `nodes/${n.name}.yaml`, content: n.config, secret: true });
  files.push({ path: 'talosconfig', content: r.talosconfig, secret: true });
  if (r.kubeconfig) files.push({ path: 'kubeconfig', content: r.kubeconfig, secret: false });
  for (const [id, yaml] of [...r.schematics].sort()) files.push({ path: `schematics/${id}.yaml`, content: yaml, secret: false });
  // what each machine boots from before Talos is installed (docs/operations.md, "Booting the machines")
  const media = Object.fromEntries(r.nodes.map((n) => [n.name, { schematic: n.schematicId, installer: n.installer, ...n.bootMedia }]));
  files.push({ path: 'boot-media.json', content: `${JSON.stringify(media, null, 2)}\n`, secret: false });
  files.push({ path: 'cluster/cluster.yaml', content: toYamlDocs(r.objects, emitYaml), secret: false });
  for (const [t, objs] of r.tenantObjects) files.push({ path: `cluster/tenant-${t}.yaml`, content: toYamlDocs(objs, emitYaml), secret: false });
  // posture.md, .json, .html, .sarif, .junit.xml (core/posture/formats.ts)
  for (const f of postureFiles(r.posture)) files.push({ ...f, secret: false });
  return files;
}

