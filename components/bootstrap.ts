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
 *   <cluster>-kubeconfig  `talosctl kubeconfig -`: the admin kubeconfig Talos issues, on
 *                         stdout, kept only as a secret (never logged). Its certificate lives
 *                         cluster.breakGlassCertLifetime; the Kubernetes provider and the
 *                         break-glass output use an exec-plugin kubeconfig that mints a fresh
 *                         one on each use (core/talos/clients.ts), and wait for this step.
 */
import * as pulumi from '@pulumi/pulumi';
import { local } from '@pulumi/command';
import { apiServerReadyCommand, authenticatedStdin, bootstrapCommand, bootstrapHealthCommand, durationSeconds, kubeconfigCommand } from '../core/talos/commands';
import { commandArgs } from './command';

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
  readonly bootstrap: local.Command;
  readonly health: local.Command;
  readonly kubeconfigCommand: local.Command;
  /** Only with installCni: the wait for kube-apiserver that replaces the health gate before the kubeconfig. */
  readonly apiServerReady?: local.Command;
  /** The admin kubeconfig fetched at bootstrap (secret). */
  readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: BootstrapArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('bulwark:talos:Bootstrap', name, {}, opts);
    const stdin = pulumi.secret(pulumi.output(args.talosconfig).apply((tc) => authenticatedStdin(tc)));
    const kubeconfigStep = (dependsOn: pulumi.Resource[]) =>
      new local.Command(
        `${name}-kubeconfig`,
        commandArgs(kubeconfigCommand({ target: args.target }), { stdin, logging: 'none', addPreviousOutputInEnv: false }),
        { parent: this, dependsOn, additionalSecretOutputs: ['stdout', 'stderr'] },
      );
    this.bootstrap = new local.Command(
      `${name}-bootstrap`,
      commandArgs(bootstrapCommand({ target: args.target, waitSeconds: durationSeconds(args.healthTimeout) }), { stdin, logging: 'stderr' }),
      { parent: this, dependsOn: [args.firstApply], ignoreChanges: ['environment', 'stdin'] },
    );
    // A CNI the program installs (cilium) must go in before the health gate: nodes are NotReady
    // until it runs. Then the kubeconfig comes first, once the API server's static pod is Ready.
    let beforeHealth: pulumi.Resource[] = [];
    if (args.installCni) {
      this.apiServerReady = new local.Command(
        `${name}-api-server-ready`,
        commandArgs(apiServerReadyCommand({ target: args.target, waitSeconds: durationSeconds(args.healthTimeout) }), { stdin, logging: 'stderr' }),
        { parent: this, dependsOn: [this.bootstrap], ignoreChanges: ['environment', 'stdin'] },
      );
      this.kubeconfigCommand = kubeconfigStep([this.apiServerReady]);
      beforeHealth = [args.installCni({ parent: this, dependsOn: [this.apiServerReady] })];
    }
    this.health = new local.Command(
      `${name}-health`,
      commandArgs(bootstrapHealthCommand({ target: args.target, timeout: args.healthTimeout, controlPlanes: args.controlPlanes, workers: args.workers }), {
        stdin,
        logging: 'stderr',
      }),
      { parent: this, dependsOn: [this.bootstrap, ...args.applies, ...beforeHealth] },
    );
    this.kubeconfigCommand ??= kubeconfigStep([this.health]);
    this.kubeconfig = pulumi.secret(this.kubeconfigCommand.stdout);
    this.registerOutputs({ kubeconfig: this.kubeconfig });
  }
}
