/**
 * bulwark:talos:Bootstrap — turns configured machines into a cluster, once:
 *
 *   <cluster>-bootstrap   `talosctl bootstrap` on the first control plane, after its first
 *                         apply; retried until the freshly installed node answers. Runs once:
 *                         it ignores later changes to its inputs (bootstrapping twice is
 *                         refused by Talos; a new first control plane joins the existing etcd).
 *   <cluster>-health      `talosctl health --wait-timeout <operations.healthTimeout>` for
 *                         exactly the declared control planes and workers, after every first
 *                         apply. Runs again when the node list changes.
 *   <cluster>-api-server-ready  only with cluster.cni: cilium: waits for the kube-apiserver static
 *                         pod, so the CNI can go in before the health gate (nodes stay NotReady
 *                         without one).
 *
 * No admin kubeconfig is fetched: the program applies Kubernetes objects as its own identity
 * (bulwark:deployer), so no system:masters credential is kept in state.
 */
import * as pulumi from '@pulumi/pulumi';
import { apiServerReadyCommand, authenticatedStdin, bootstrapCommand, bootstrapHealthCommand, durationSeconds } from '../core/talos/commands';
import { LocalCommand, commandArgs } from './command';

export interface BootstrapArgs {
  /** Address of the first control plane. */
  target: string;
  /** talosconfig scoped to it (secret). */
  talosconfig: pulumi.Input<string>;
  /** Its first apply. */
  firstApply: pulumi.Resource;
  /** Every node's first apply. */
  applies: pulumi.Resource[];
  controlPlanes: string[];
  workers: string[];
  /** operations.healthTimeout (Go duration). */
  healthTimeout: string;
  /**
   * Installs the CNI (cluster.cni: cilium) once the API server is up; what it returns must
   * finish before the health gate runs.
   */
  installCni?: (opts: { parent: pulumi.Resource; dependsOn: pulumi.Resource[] }) => pulumi.Resource;
}

export class Bootstrap extends pulumi.ComponentResource {
  readonly bootstrap: LocalCommand;
  readonly health: LocalCommand;
  /** Only with installCni: the wait for kube-apiserver before the CNI goes in. */
  readonly apiServerReady?: LocalCommand;

  constructor(name: string, args: BootstrapArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('bulwark:talos:Bootstrap', name, {}, opts);
    const stdin = pulumi.secret(pulumi.output(args.talosconfig).apply((tc) => authenticatedStdin(tc)));
    this.bootstrap = new LocalCommand(
      `${name}-bootstrap`,
      commandArgs(bootstrapCommand({ target: args.target, waitSeconds: durationSeconds(args.healthTimeout) }), { stdin, logging: 'stderr' }),
      { parent: this, dependsOn: [args.firstApply], ignoreChanges: ['environment', 'stdin'] },
    );
    // A CNI the program installs (cilium) must go in before the health gate: nodes are NotReady
    // until it runs. It goes in once the API server's static pod is Ready.
    let beforeHealth: pulumi.Resource[] = [];
    if (args.installCni) {
      this.apiServerReady = new LocalCommand(
        `${name}-api-server-ready`,
        commandArgs(apiServerReadyCommand({ target: args.target, waitSeconds: durationSeconds(args.healthTimeout) }), { stdin, logging: 'stderr' }),
        { parent: this, dependsOn: [this.bootstrap], ignoreChanges: ['environment', 'stdin'] },
      );
      beforeHealth = [args.installCni({ parent: this, dependsOn: [this.apiServerReady] })];
    }
    this.health = new LocalCommand(
      `${name}-health`,
      commandArgs(bootstrapHealthCommand({ target: args.target, timeout: args.healthTimeout, controlPlanes: args.controlPlanes, workers: args.workers }), {
        stdin,
        logging: 'stderr',
      }),
      { parent: this, dependsOn: [this.bootstrap, ...args.applies, ...beforeHealth] },
    );
    this.registerOutputs({});
  }
}
