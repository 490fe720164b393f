/**
 * bulwark:talos:Rollout — how a change rolls through a running cluster. Its children, in order:
 *
 *   rollout-preflight-health       cluster health before anything rolls (runs when any step changes)
 *   rollout-kubernetes-upgrade     `talosctl upgrade-k8s --to <version>` when it changed: every
 *                                  API server before any kubelet; health gate
 *   per node:
 *     <node>-rollout               `talosctl upgrade --image <installer>` when the installer image
 *                                  (Talos version or schematic) changed (REBOOTS the node), then the
 *                                  authenticated `apply-config --mode no-reboot` of a changed
 *                                  configuration, or `--mode staged` when fields that need a reboot
 *                                  changed (1.13); one health gate after whatever ran
 *     <node>-reboot                (Talos 1.13 only) `talosctl reboot` into it; health gate. Its
 *                                  environment holds the reboot digest, so `pulumi preview` lists
 *                                  "<node>-reboot update" exactly when the node will reboot for a
 *                                  configuration change. Talos 1.14 applies every change live, so
 *                                  nodes on 1.14 have no reboot step.
 *
 * Control planes go one at a time, then workers in batches of operations.workerBatchSize
 * (core/ops/rollout.ts); each step depends on every step of the group before it. Never all at once.
 *
 * Kubernetes first: upgrade-k8s rewrites the image fields of every machine configuration, and
 * the configurations the node steps apply carry the same new images, so applying them after
 * it changes nothing it did. On a node, Talos before configuration: a configuration may use
 * what the new Talos brings. One pass through the nodes, so a Talos upgrade (which also changes
 * every configuration's install image) walks the fleet once, not twice. The cost: Kubernetes
 * and Talos both changed in one `pulumi up` needs the running Talos to support the new
 * Kubernetes; Talos refuses the upgrade otherwise, before anything changed
 * (docs/operations.md: roll out talosVersion first).
 *
 * Steps do nothing on create but record what the node was provisioned with, and act on update
 * only when their own value differs from that record (core/talos/commands.ts). So on first
 * provision the chain costs nothing and every node is configured at once by its <node>-apply,
 * and an incidental input change (a new health timeout) never upgrades or reboots a node.
 */
import * as pulumi from '@pulumi/pulumi';
import {
  Gate, LIVE, authenticatedStdin, kubernetesUpgradeCommand, nodeStepCommand, preflightHealthCommand, rebootStepCommand,
} from '../core/talos/commands';
import type { RolloutGroup } from '../core/ops/rollout';
import { LocalCommand, commandArgs } from './command';
import { TalosNode, authOnly } from './node';

export interface RolloutNode {
  node: TalosNode;
  /** The control plane this node's health gates run on (its talosconfig's endpoint). */
  healthNode: string;
  rebootDigest: string;
  /** Digest of the rendered configuration (plain): names a change without revealing it. */
  configDigest: pulumi.Input<string>;
}

export interface RolloutArgs {
  /** Control plane the cluster-wide steps talk to, and the talosconfig scoped to it (secret). */
  target: string;
  talosconfig: pulumi.Input<string>;
  kubernetesVersion: string;
  healthTimeout: string;
  /** Changes whenever any step of the rollout changes (plain digest): the preflight check keys on it. */
  planDigest: pulumi.Input<string>;
  groups: RolloutGroup[];
  nodes: Map<string, RolloutNode>;
}

export class Rollout extends pulumi.ComponentResource {
  readonly preflight: LocalCommand;
  readonly kubernetesUpgrade: LocalCommand;
  /** Each node's rollout step (Talos upgrade, then configuration). */
  readonly steps = new Map<string, LocalCommand>();
  readonly reboots = new Map<string, LocalCommand>();

  constructor(name: string, args: RolloutArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('bulwark:talos:Rollout', name, {}, opts);
    const parent = { parent: this };
    const stdin = pulumi.secret(pulumi.output(args.talosconfig).apply((tc) => authenticatedStdin(tc)));
    const node = (n: string): RolloutNode => {
      const r = args.nodes.get(n);
      if (!r) throw new Error(`rollout group names node ${n}, which has no component`);
      return r;
    };
    const gate = (r: RolloutNode): Gate => ({ healthNode: r.healthNode, timeout: args.healthTimeout });

    this.preflight = new LocalCommand(
      `${name}-preflight-health`,
      commandArgs(preflightHealthCommand({ target: args.target, timeout: args.healthTimeout, step: '' }), {
        stdin,
        logging: 'stderr',
        environment: { BULWARK_STEP: args.planDigest },
      }),
      parent,
    );

    this.kubernetesUpgrade = new LocalCommand(
      `${name}-kubernetes-upgrade`,
      commandArgs(kubernetesUpgradeCommand({ target: args.target, version: args.kubernetesVersion, timeout: args.healthTimeout }), { stdin, logging: 'stderr' }),
      // and after every node's first apply: a node that joins in the same run is a node upgrade-k8s must find configured
      { ...parent, dependsOn: [this.preflight, ...[...args.nodes.values()].map((r) => r.node.apply)] },
    );

    // One group after another, every node of a group at once.
    let after: pulumi.Resource[] = [this.kubernetesUpgrade];
    for (const g of args.groups)
      after = g.nodes.map((n) => {
        const r = node(n);
        const a = r.node.args;
        const configStdin = pulumi.secret(pulumi.all([a.talosconfig, a.config]).apply(([tc, cfg]) => authenticatedStdin(tc, cfg)));
        const step = new LocalCommand(
          `${n}-rollout`,
          commandArgs(nodeStepCommand({ address: a.address, installer: a.installer, configDigest: '', rebootDigest: r.rebootDigest, ...gate(r) }), {
            stdin: configStdin,
            logging: 'none',
            environment: { BULWARK_CONFIG_DIGEST: r.configDigest },
          }),
          { ...parent, dependsOn: [...after, r.node.apply], additionalSecretOutputs: ['stdout', 'stderr'] },
        );
        this.steps.set(n, step);
        // Only Talos lines that reboot for a configuration change (1.13) get a reboot step.
        if (r.rebootDigest === LIVE) return step;
        const reboot = new LocalCommand(
          `${n}-reboot`,
          commandArgs(rebootStepCommand({ address: a.address, rebootDigest: r.rebootDigest, ...gate(r) }), { stdin: authOnly(a.talosconfig), logging: 'stderr' }),
          { ...parent, dependsOn: [step] },
        );
        this.reboots.set(n, reboot);
        return reboot;
      });
    this.registerOutputs({});
  }
}
