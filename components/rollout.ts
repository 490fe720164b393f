/**
 * bulwark:talos:Rollout — how a change rolls through a running cluster. Its children, in order:
 *
 *   rollout-preflight-health       cluster health before anything rolls (runs when any step changes)
 *   pass "os", per node:
 *     <node>-upgrade               `talosctl upgrade --image <installer>` when the installer image
 *                                  (Talos version or schematic) changed; REBOOTS the node; health gate
 *   rollout-kubernetes-upgrade     `talosctl upgrade-k8s --to <version>` when it changed; health gate
 *   pass "config", per node:
 *     <node>-config                authenticated `apply-config --mode no-reboot` (health gate), or
 *                                  `--mode staged` when fields that need a reboot changed (1.13)
 *     <node>-reboot                (Talos 1.13 only) `talosctl reboot` into it; health gate. Its
 *                                  environment holds the reboot digest, so `pulumi preview` lists
 *                                  "<node>-reboot update" exactly when the node will reboot for a
 *                                  configuration change. Talos 1.14 applies every change live, so
 *                                  nodes on 1.14 have no reboot step.
 *
 * Within a pass, control planes go one at a time, then workers in batches of
 * operations.workerBatchSize (core/ops/rollout.ts); each step depends on every step of the group
 * before it, and each step ends with a bounded health check. Never all at once.
 *
 * Talos first (a new Talos supports the new Kubernetes; new extensions are installed before a
 * configuration that uses them), Kubernetes next (upgrade-k8s moves every API server before any
 * kubelet, and rewrites the image fields of every machine config), configuration last (it
 * carries the same images, so it reapplies what upgrade-k8s set).
 *
 * Steps do nothing on create but record what the node was provisioned with, and act on update
 * only when their own value differs from that record (core/talos/commands.ts). So on first
 * provision the chain costs nothing and every node is configured at once by its <node>-apply,
 * and an incidental input change (a new health timeout) never upgrades or reboots a node.
 */
import * as pulumi from '@pulumi/pulumi';
import { local } from '@pulumi/command';
import {
  Gate, LIVE, authenticatedStdin, configStepCommand, kubernetesUpgradeCommand, preflightHealthCommand, rebootStepCommand, upgradeStepCommand,
} from '../core/talos/commands';
import type { RolloutGroup } from '../core/ops/rollout';
import { commandArgs } from './command';
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
  readonly preflight: local.Command;
  readonly kubernetesUpgrade: local.Command;
  readonly upgrades = new Map<string, local.Command>();
  readonly configs = new Map<string, local.Command>();
  readonly reboots = new Map<string, local.Command>();

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

    this.preflight = new local.Command(
      `${name}-preflight-health`,
      commandArgs(preflightHealthCommand({ target: args.target, timeout: args.healthTimeout, step: '' }), {
        stdin,
        logging: 'stderr',
        environment: { BULWARK_STEP: args.planDigest },
      }),
      parent,
    );

    // Pass "os": one group after another, every node of a group at once.
    let after: pulumi.Resource[] = [this.preflight];
    for (const g of args.groups)
      after = g.nodes.map((n) => {
        const r = node(n);
        const a = r.node.args;
        const step = new local.Command(
          `${n}-upgrade`,
          commandArgs(upgradeStepCommand({ address: a.address, installer: a.installer, ...gate(r) }), { stdin: authOnly(a.talosconfig), logging: 'stderr' }),
          { ...parent, dependsOn: [...after, r.node.apply] },
        );
        this.upgrades.set(n, step);
        return step;
      });

    this.kubernetesUpgrade = new local.Command(
      `${name}-kubernetes-upgrade`,
      commandArgs(kubernetesUpgradeCommand({ target: args.target, version: args.kubernetesVersion, timeout: args.healthTimeout }), { stdin, logging: 'stderr' }),
      { ...parent, dependsOn: after },
    );

    // Pass "config".
    after = [this.kubernetesUpgrade];
    for (const g of args.groups)
      after = g.nodes.map((n) => {
        const r = node(n);
        const a = r.node.args;
        const configStdin = pulumi.secret(pulumi.all([a.talosconfig, a.config]).apply(([tc, cfg]) => authenticatedStdin(tc, cfg)));
        const config = new local.Command(
          `${n}-config`,
          commandArgs(configStepCommand({ address: a.address, configDigest: '', rebootDigest: r.rebootDigest, ...gate(r) }), {
            stdin: configStdin,
            logging: 'none',
            environment: { BULWARK_CONFIG_DIGEST: r.configDigest },
          }),
          { ...parent, dependsOn: [...after, r.node.apply], additionalSecretOutputs: ['stdout', 'stderr'] },
        );
        this.configs.set(n, config);
        // Only Talos lines that reboot for a configuration change (1.13) get a reboot step.
        if (r.rebootDigest === LIVE) return config;
        const reboot = new local.Command(
          `${n}-reboot`,
          commandArgs(rebootStepCommand({ address: a.address, rebootDigest: r.rebootDigest, ...gate(r) }), { stdin: authOnly(a.talosconfig), logging: 'stderr' }),
          { ...parent, dependsOn: [config] },
        );
        this.reboots.set(n, reboot);
        return reboot;
      });
    this.registerOutputs({});
  }
}
