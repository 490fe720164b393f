/**
 * Client configurations the Pulumi program hands to talosctl.
 * Pure: the secrets bundle in, YAML/objects out.
 *
 * scopedTalosconfig: a talosconfig for one node's commands: its endpoint is the control plane
 * the node's health gates run on (the node itself for a control plane, the first control
 * plane for a worker, whose API it proxies to), its node the node. A command's input then
 * depends only on its node, that endpoint and the secrets, never on the rest of the node
 * list, so adding a node does not touch every other node's commands.
 *
 * The Kubernetes provider's kubeconfig is not here: the program acts as its own identity
 * (core/render/clients.ts deployerKubeconfig), never as the Talos-issued admin.
 */
import { stringify } from 'yaml';
import type { SecretsBundle } from '../secrets/bundle';
import { trustedCasB64 } from '../secrets/ca-rotation';

export function scopedTalosconfig(clusterName: string, endpoint: string, node: string, secrets: SecretsBundle): string {
  return stringify(
    {
      context: clusterName,
      contexts: {
        [clusterName]: { endpoints: [endpoint], nodes: [node], ca: trustedCasB64(secrets, 'os'), crt: secrets.clients.talosAdmin.crt, key: secrets.clients.talosAdmin.key },
      },
    },
    { lineWidth: 0 },
  );
}

/** The cluster CA (base64 PEM) and server of the current context of a kubeconfig, if it names them. */
export function kubeconfigCluster(kubeconfig: string, parse: (s: string) => unknown): { server?: string; caData?: string } {
  const kc = parse(kubeconfig) as {
    clusters?: { name: string; cluster?: { server?: string; 'certificate-authority-data'?: string } }[];
    contexts?: { name: string; context?: { cluster?: string } }[];
    'current-context'?: string;
  } | null;
  const ctx = kc?.contexts?.find((c) => c.name === kc['current-context']) ?? kc?.contexts?.[0];
  const cluster = kc?.clusters?.find((c) => c.name === ctx?.context?.cluster) ?? kc?.clusters?.[0];
  return { server: cluster?.cluster?.server, caData: cluster?.cluster?.['certificate-authority-data'] };
}
