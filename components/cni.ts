/**
 * The CNI the program installs (`cluster.cni: cilium`): one Helm release of the pinned chart
 * with the values core/render/cni.ts derives from the stack. It goes in between bootstrap and
 * the cluster health gate: nodes stay NotReady until a CNI runs, so the gate cannot come first.
 */
import * as pulumi from '@pulumi/pulumi';
import * as k8s from '@pulumi/kubernetes';
import type { cniRelease } from '../core/render/cni';

export interface CniArgs {
  release: NonNullable<ReturnType<typeof cniRelease>>;
  /** Kubeconfig the release is installed with (secret). */
  kubeconfig: pulumi.Input<string>;
}

export class Cni extends pulumi.ComponentResource {
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: CniArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('bulwark:k8s:Cni', name, {}, opts);
    const provider = new k8s.Provider(`${name}-provider`, { kubeconfig: args.kubeconfig, enableServerSideApply: true }, { parent: this });
    const { chart, values } = args.release;
    this.release = new k8s.helm.v3.Release(
      `${name}-${chart.chart}`,
      {
        name: chart.chart,
        chart: chart.chart,
        version: chart.version,
        repositoryOpts: { repo: chart.repo },
        namespace: chart.namespace,
        values,
        // Wait for the agent and operator to be ready: the health gate after this needs Ready nodes.
        skipAwait: false,
        timeout: 900,
      },
      // A component's dependsOn does not hold back its children: the release waits itself.
      { parent: this, provider, dependsOn: opts.dependsOn },
    );
    this.registerOutputs({});
  }
}
