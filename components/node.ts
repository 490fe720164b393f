/**
 * bulwark:talos:Node — one Talos machine's lifecycle in the stack:
 *
 *   <node>-apply   first apply, in maintenance mode (`talosctl apply-config --insecure`). Runs
 *                  once: later changes to the configuration are rollout steps (<node>-rollout,
 *                  <node>-reboot in bulwark:talos:Rollout, components/rollout.ts),
 *                  so it ignores changes to its stdin, and its update command (a new address,
 *                  a new script) applies nothing: never the maintenance API again.
 *   <node>-reset   (operations.resetOnDestroy) `talosctl reset` when the node leaves the stack
 *                  or the stack is destroyed; control planes last, one at a time. A node in
 *                  operations.deadNodes is not reset (its API does not answer).
 *   <node>-etcd-member  control planes only: the node's etcd membership (core/talos/etcd-commands.ts).
 *                  When the node leaves the stack, `talosctl etcd leave` on it BEFORE its reset
 *                  (it depends on the reset, and Pulumi deletes a resource before what it
 *                  depends on); for a dead node, removal through a healthy peer as soon as it
 *                  is marked. Chained control plane after control plane like the resets, so a
 *                  destroy takes members out one at a time and the first control plane last.
 *
 * <node>-apply depends on nothing but the cluster secrets: first provision configures every
 * node at once.
 */
import * as pulumi from '@pulumi/pulumi';
import { authenticatedStdin, provisionCommand, resetCommand } from '../core/talos/commands';
import { etcdMemberCommand } from '../core/talos/etcd-commands';
import { LocalCommand, commandArgs } from './command';

export interface TalosNodeArgs {
  name: string;
  role: 'controlplane' | 'worker';
  address: string;
  /**
   * Pinned SPKI fingerprint of the node's maintenance-mode certificate (bulwark:nodes[i].certFingerprint):
   * the first apply sends the configuration only to the node that holds that key.
   */
  certFingerprint?: string;
  /** Installer image of the node's Image Factory schematic and Talos version. */
  installer: string;
  /** The rendered machine configuration (secret). */
  config: pulumi.Input<string>;
  /**
   * The same configuration one setting per line, secrets redacted (core/ops/config-preview.ts; plain):
   * the component's input `machineConfig`, so `pulumi preview --diff` names each changed setting.
   */
  configPreview?: string;
  /** talosconfig for this node's commands (secret; core/talos/clients.ts scopedTalosconfig). */
  talosconfig: pulumi.Input<string>;
  /** Reset on removal/destroy; `dependsOn` are the resets that must be destroyed after this one. */
  reset?: { graceful: boolean; dependsOn: pulumi.Resource[] };
  /** operations.deadNodes names it: never contacted (no reset; its etcd member is removed through `etcd.peer`). */
  dead?: boolean;
  /**
   * Control planes: the etcd member's hostname (Talos names members by it), the previous control plane's
   * etcd-member command (left after this one on destroy) and, when dead, the healthy peer and its talosconfig.
   */
  etcd?: { hostname: string; after?: pulumi.Resource; peer?: { address: string; talosconfig: pulumi.Input<string> } };
}

export class TalosNode extends pulumi.ComponentResource {
  readonly args: TalosNodeArgs;
  readonly apply: LocalCommand;
  readonly reset?: LocalCommand;
  readonly etcdMember?: LocalCommand;

  constructor(name: string, args: TalosNodeArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('bulwark:talos:Node', name, nodeInputs(args), opts);
    this.args = args;
    this.apply = new LocalCommand(
      `${args.name}-apply`,
      commandArgs(provisionCommand({ address: args.address, certFingerprint: args.certFingerprint }), { stdin: args.config, logging: 'none', addPreviousOutputInEnv: false }),
      { parent: this, ignoreChanges: ['stdin'], additionalSecretOutputs: ['stdout', 'stderr'] },
    );
    if (args.reset)
      this.reset = new LocalCommand(
        `${args.name}-reset`,
        commandArgs(resetCommand({ address: args.address, graceful: args.reset.graceful, dead: args.dead }), { stdin: authOnly(args.talosconfig), logging: 'stderr' }),
        { parent: this, dependsOn: [this.apply, ...args.reset.dependsOn] },
      );
    if (args.etcd) {
      const peer = args.dead ? args.etcd.peer : undefined;
      if (args.dead && !peer) throw new Error(`control plane ${args.name} is dead but no healthy peer was given`);
      this.etcdMember = new LocalCommand(
        `${args.name}-etcd-member`,
        commandArgs(etcdMemberCommand({ address: args.address, hostname: args.etcd.hostname, dead: peer ? { peer: peer.address } : undefined }), {
          stdin: authOnly(peer ? peer.talosconfig : args.talosconfig),
          logging: 'stderr',
        }),
        { parent: this, dependsOn: [this.apply, ...(this.reset ? [this.reset] : []), ...(args.etcd.after ? [args.etcd.after] : [])] },
      );
    }
    this.registerOutputs({ address: args.address, role: args.role, installer: args.installer });
  }
}

/** The component's own inputs, which the engine diffs: only the redacted configuration preview. */
export function nodeInputs(args: Pick<TalosNodeArgs, 'configPreview'>): Record<string, string> {
  return args.configPreview === undefined ? {} : { machineConfig: args.configPreview };
}

/** stdin carrying only a talosconfig (secret). */
export function authOnly(talosconfig: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.secret(pulumi.output(talosconfig).apply((tc) => authenticatedStdin(tc)));
}
