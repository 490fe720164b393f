/**
 * The Bulwark stack program (index.ts runs it): stack config → validated stack → Talos nodes,
 * bootstrap, rollout and the Kubernetes layers, or, in existing-cluster mode, only the
 * Kubernetes, tenancy and OIDC-RBAC layers on a cluster Bulwark did not build.
 *
 * The stack is rendered twice (core/ops/placeholder.ts): synchronously with placeholder
 * secrets for everything secret-free (known at preview, plain in state), and inside an Output
 * with the real bundle for machine configurations and client configurations (secret).
 */
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import type { ValidStack } from '../core/config/validate';
import { withQuarterlyAdminClient } from '../core/secrets/admin-client';
import type { SecretsBundle } from '../core/secrets/bundle';
import { CATALOGUE } from '../core/controls/catalogue';
import { EXISTING_CLUSTER_LAYERS, objectsInLayers } from '../core/ops/k8s';
import { placeholderSecrets } from '../core/ops/placeholder';
import { healthTarget, resetSteps, rolloutGroups } from '../core/ops/rollout';
import { caRotationOrder } from '../core/ops/ca-rotation-order';
import { dutyHolder, liveNodes } from '../core/ops/membership';
import { Member, membersOf } from '../core/config/membership';
import { hostnameOf } from '../core/render/machine/network';
import type { MachineInputs } from '../core/render/machine/inputs';
import { deployerKubeconfig, userKubeconfig } from '../core/render/clients';
import { cniRelease } from '../core/render/cni';
import { RenderedStack, renderStack, toYaml } from '../core/render/index';
import { todayDate } from '../core/stack';
import { kubeconfigCluster, scopedTalosconfig } from '../core/talos/clients';
import type { TalosLine } from '../core/talos/defaults';
import { configDigest, rebootDigest, sha256 } from '../core/talos/reboot';
import { Bootstrap } from './bootstrap';
import type { BootMedia } from '../core/render/boot-media';
import { Cni } from './cni';
import { ClusterLayer } from './cluster-layer';
import { existingKubeconfigIsEncrypted, loadValidStack } from './config';
import { Schematics } from './factory';
import { TalosNode } from './node';
import { withoutPromiseStacks } from './registration';
import { Rollout, RolloutNode } from './rollout';
import { checkMembership, previousMembership } from './membership';
import { backupSecrets } from './backup';
import { ClusterSecrets } from './secrets';

export interface NodeOutput {
  role: string;
  address: string;
  installer: string;
  /** The node's Image Factory schematic id. */
  schematic: string;
  /** What the machine boots from before Talos is installed: ISO, raw disk image, PXE (core/render/boot-media.ts). */
  bootMedia: BootMedia;
}

export interface BulwarkOutputs {
  /** The cluster's API endpoint. */
  endpoint: string;
  /** The OIDC (kubelogin) kubeconfig for people: no credential in it. */
  kubeconfig: pulumi.Output<string | undefined>;
  /** How to mint a break-glass credential (nothing secret: the stack exports none). */
  breakGlass: { command: string; maxLifetime: string; defaultLifetime: string };
  /** Talos API admin configuration (secret). */
  talosconfig?: pulumi.Output<string>;
  posture: { profile: string; enforced: number; depends: number; notApplied: number; waived: number; notRequired: number; notApplicable: number };
  /** Per node: role, address, installer image, schematic and boot media. */
  nodes: Record<string, NodeOutput>;
  /** The control planes this run leaves (name, address, dead): what the next run checks its edit against (components/membership.ts). */
  controlPlanes?: Member[];
}

export async function bulwarkProgram(): Promise<BulwarkOutputs> {
  // Validate before registering anything: invalid config must not touch a single resource.
  const valid = loadValidStack();
  // inputs accepted but changing nothing: said in preview and up, as `bulwark render` says them on stderr
  for (const w of new Set((valid.warnings ?? []).map((w) => `${w.path}: ${w.message}`))) void pulumi.log.warn(w);
  // with each node's redacted configuration preview, shown by `pulumi preview --diff` (components/node.ts)
  // (during a CA rotation, with the phase's accepted CAs: the preview shows each node's acceptedCAs change)
  const plan = renderStack(valid, placeholderSecrets(valid.stack.caRotation), { configPreview: true });
  const base = {
    endpoint: valid.stack.cluster.endpoint,
    breakGlass: {
      command: `npm run break-glass -- --stack ${valid.name} --person <name> --reason <text>`,
      maxLifetime: valid.profile.settings.breakGlassMaxLifetime,
      defaultLifetime: valid.stack.cluster.breakGlassCertLifetime,
    },
    posture: { profile: plan.posture.profile, ...plan.posture.summary },
    nodes: Object.fromEntries(plan.nodes.map((n) => [n.name, { role: n.role, address: n.address, installer: n.installer, schematic: n.schematicId, bootMedia: n.bootMedia }])),
  };
  if (valid.stack.existingCluster) return withoutPromiseStacks(() => existingCluster(valid, plan, base));
  // Refuse an edit of bulwark:nodes that etcd would not survive, before registering anything else.
  const previous = await previousMembership();
  checkMembership(valid.name, previous, valid.stack);
  return withoutPromiseStacks(() => provisioned(valid, plan, base, previous));
}

type Base = Pick<BulwarkOutputs, 'endpoint' | 'breakGlass' | 'posture' | 'nodes'>;

function provisioned(valid: ValidStack, plan: RenderedStack, base: Base, previous?: Member[]): BulwarkOutputs {
  const { stack } = valid;
  // Effective rollout settings: the stack's, tightened by controls (the edge overlay forces one node at a time).
  const ops = plan.operations;
  const line = stack.cluster.talosVersion.replace(/^v(\d+\.\d+).*$/, '$1') as TalosLine;
  // bulwark:caRotation moves the bundle in state to its phase (components/secrets.ts)
  const secrets = new ClusterSecrets('cluster-secrets', { caRotation: stack.caRotation });
  // Each schematic is registered with the Image Factory (on up, not preview) before anything installs from it:
  // a node's first apply takes its config, and the rollout its plan digest, only once the registration is done.
  const schematics = new Schematics('schematics', { factory: stack.imageFactory, schematics: plan.schematics });
  // What every client configuration is made from: the bundle, with this quarter's admin client
  // certificate (core/secrets/admin-client.ts; the one generated with the bundle expires).
  const bundle = secrets.bundle.apply((b) => withQuarterlyAdminClient(b, todayDate()));
  // The real render is memoised per bundle and kept out of Output values: Pulumi walks an
  // Output's whole value each time it is awaited, and this one is large (every machine config).
  const renders = new WeakMap<SecretsBundle, RenderedStack>();
  const real = (b: SecretsBundle): RenderedStack => {
    let r = renders.get(b);
    if (!r) renders.set(b, (r = renderStack(valid, b)));
    return r;
  };
  const fromRender = <T>(f: (r: RenderedStack) => T) => bundle.apply((b) => f(real(b)));

  // operations.deadNodes: never contacted. Cluster-wide duties go to a healthy control plane that was a member before (core/ops/membership.ts).
  const dead = stack.operations.deadNodes;
  const live = liveNodes(plan.nodes, dead);
  const cps = live.filter((n) => n.role === 'controlplane');
  const first = dutyHolder(plan.nodes, dead, previous);
  const scoped = (endpoint: string, node: string) => pulumi.secret(bundle.apply((b) => scopedTalosconfig(stack.cluster.name, endpoint, node, b)));
  const configOf = (i: number) => schematics.after([plan.nodes[i].schematicId], pulumi.secret(fromRender((r) => r.nodes[i].config)));
  const digestOf = (i: number) => pulumi.unsecret(fromRender((r) => configDigest(r.nodes[i].config)));
  const rebootDigests = plan.nodes.map((n) => rebootDigest(n.config, line));
  const firstTalosconfig = scoped(first.address, first.address);

  // The rollout changes whenever any of its steps does; the preflight check keys on this digest.
  const planDigest = schematics.after([...plan.schematics.keys()], pulumi.unsecret(
    fromRender((r) =>
      sha256(JSON.stringify([stack.cluster.kubernetesVersion, ...r.nodes.map((n, i) => [n.name, n.installer, rebootDigests[i], configDigest(n.config)]).filter((_, i) => !dead.includes(plan.nodes[i].name))])).slice(0, 16),
    ),
  ));
  // Nodes: control planes first, so each reset can name the reset before it.
  // the holder first: it is the member reset last, and the one whose etcd-member goes last on destroy
  const resets = new Map(resetSteps([first, ...plan.nodes.filter((n) => n !== first)]).map((s) => [s.node, s]));
  const etcdAfter = new Map<string, string>();
  [first, ...plan.nodes.filter((n) => n !== first && n.role === 'controlplane')].forEach((n, k, all) => k > 0 && etcdAfter.set(n.name, all[k - 1].name));
  const nodes = new Map<string, TalosNode>();
  const rolloutNodes = new Map<string, RolloutNode>();
  const order = plan.nodes.map((n, i) => ({ n, i })).sort((a, b) => Number(b.n === first) - Number(a.n === first) || Number(b.n.role === 'controlplane') - Number(a.n.role === 'controlplane'));
  for (const { n, i } of order) {
    const reset = resets.get(n.name)!;
    const healthNode = healthTarget(n, first);
    const node = new TalosNode(n.name, {
      name: n.name,
      role: n.role,
      address: n.address,
      // Pinned maintenance-mode certificate: the first apply sends the CA keys only to that machine.
      certFingerprint: stack.nodes[i].certFingerprint,
      installer: n.installer,
      config: configOf(i),
      configPreview: n.configPreview,
      talosconfig: n.name === first.name ? firstTalosconfig : scoped(healthNode, n.address),
      reset: ops.resetOnDestroy ? { graceful: reset.graceful, dependsOn: reset.dependsOn ? [nodes.get(reset.dependsOn)!.reset!] : [] } : undefined,
      dead: dead.includes(n.name),
      ...(n.role === 'controlplane'
        ? {
            etcd: {
              hostname: hostnameOf({ stack, node: stack.nodes[i] } as MachineInputs),
              after: etcdAfter.has(n.name) ? nodes.get(etcdAfter.get(n.name)!)!.etcdMember : undefined,
              peer: { address: first.address, talosconfig: firstTalosconfig },
            },
          }
        : {}),
    });
    nodes.set(n.name, node);
    if (!dead.includes(n.name)) rolloutNodes.set(n.name, { node, healthNode, rebootDigest: rebootDigests[i], configDigest: digestOf(i) });
  }

  const rollout = new Rollout('rollout', {
    target: first.address,
    talosconfig: firstTalosconfig,
    kubernetesVersion: stack.cluster.kubernetesVersion,
    healthTimeout: ops.healthTimeout,
    planDigest,
    // the Kubernetes CA's drop phase: workers first (core/ops/ca-rotation-order.ts)
    groups: caRotationOrder(rolloutGroups(live, ops.workerBatchSize), stack.caRotation),
    nodes: rolloutNodes,
  });

  const applies = live.map((n) => nodes.get(n.name)!.apply);
  // The Kubernetes provider acts as bulwark:deployer (today's certificate, core/secrets/deployer-client.ts),
  // never as system:masters. Its RBAC is a Talos inline manifest: it exists once bootstrap's health gate
  // passes (Talos applies it in the same pass as CoreDNS), and on a cluster that predates it once the first
  // control plane's rollout step has applied the configuration that carries it.
  const deployer = pulumi.secret(bundle.apply(async (b) => toYaml(await deployerKubeconfig(stack, b, todayDate()))));
  const cni = cniRelease(stack);
  const bootstrap = new Bootstrap('talos', {
    target: first.address,
    talosconfig: firstTalosconfig,
    firstApply: nodes.get(first.name)!.apply,
    applies,
    controlPlanes: cps.map((n) => n.address),
    workers: live.filter((n) => n.role === 'worker').map((n) => n.address),
    healthTimeout: ops.healthTimeout,
    // cluster.cni: cilium — installed as the deployer, between the API server coming up and the health gate.
    ...(cni ? { installCni: (opts) => new Cni('cni', { release: cni, kubeconfig: deployer }, opts) } : {}),
  });

  // On destroy, Kubernetes objects go before any node is reset: the provider depends on every reset.
  const resetResources = [...nodes.values()].flatMap((n) => (n.reset ? [n.reset] : []));
  const firstStep = rollout.steps.get(first.name);
  new ClusterLayer('cluster', {
    kubeconfig: deployer,
    clusterIdentifier: `bulwark:${stack.cluster.name}`,
    objects: plan.objects,
    tenants: plan.tenantObjects,
    secrets: backupSecrets(stack),
    dependsOn: [bootstrap.health, ...(firstStep ? [firstStep] : []), ...resetResources],
  });

  return {
    ...base,
    // The user kubeconfig holds only the (public) cluster CA: not a secret.
    kubeconfig: pulumi.unsecret(fromRender((r) => r.kubeconfig)),
    talosconfig: pulumi.secret(fromRender((r) => r.talosconfig)),
    controlPlanes: membersOf(stack),
  };
}

function existingCluster(valid: ValidStack, plan: RenderedStack, base: Base): BulwarkOutputs {
  const { stack } = valid;
  const raw = stack.existingCluster!.kubeconfig;
  if (typeof raw !== 'string') throw new pulumi.RunError('bulwark:existingCluster.kubeconfig was not decrypted; set it with `pulumi config set --secret --path existingCluster.kubeconfig < kubeconfig`');
  if (!existingKubeconfigIsEncrypted())
    pulumi.log.warn('bulwark:existingCluster.kubeconfig is stored in plain text; store it with `pulumi config set --secret --path existingCluster.kubeconfig`');
  const kubeconfig = pulumi.secret(raw);

  const { objects: keep, dropped } = objectsInLayers(plan.plan, CATALOGUE, EXISTING_CLUSTER_LAYERS);
  if (dropped.length) pulumi.log.info(`existing-cluster mode: not applied (they need Bulwark's own nodes): ${dropped.join(', ')}`);
  const tenants = new Map([...plan.tenantObjects].map(([t, objs]) => [t, objs.filter((o) => keep.has(o))] as const));
  new ClusterLayer('cluster', {
    kubeconfig,
    clusterIdentifier: `bulwark:${stack.cluster.name}`,
    objects: plan.objects.filter((o) => keep.has(o)),
    tenants,
  });

  // The people's kubeconfig trusts the existing cluster's CA (public), read from the admin kubeconfig,
  // and points at the server that admin kubeconfig uses: cluster.endpoint names a cluster Bulwark did not build.
  const { caData, server } = kubeconfigCluster(raw, parse);
  const user = caData ? userKubeconfig({ ...stack, cluster: { ...stack.cluster, endpoint: server ?? stack.cluster.endpoint } }, caData) : undefined;
  return { ...base, kubeconfig: pulumi.output(user ? toYaml(user) : undefined) };
}
