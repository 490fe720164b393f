/**
 * Client configuration: the talosconfig (Talos API admin, from the secrets bundle), the user
 * kubeconfig (OIDC through kubelogin; it carries no credential at all), and the two
 * client-certificate kubeconfigs: the program's own (bulwark:deployer, for the Kubernetes
 * provider) and a person's break-glass one (minted on demand by `npm run break-glass`).
 */
import type { StackConfig } from '../config/schema';
import type { SecretsBundle } from '../secrets/bundle';
import { DEPLOYER_USER, deployerClient } from '../secrets/deployer-client';

/** A kubeconfig holding a client certificate and key (PEM strings) for the stack's endpoint. */
export function certificateKubeconfig(stack: StackConfig, secrets: SecretsBundle, user: string, client: { crt: string; key: string }): Record<string, unknown> {
  const name = stack.cluster.name;
  const userName = `${user}@${name}`;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: stack.cluster.endpoint, 'certificate-authority-data': secrets.certs.k8s.crt } }],
    users: [{ name: userName, user: { 'client-certificate-data': Buffer.from(client.crt).toString('base64'), 'client-key-data': Buffer.from(client.key).toString('base64') } }],
    contexts: [{ name: userName, context: { cluster: name, user: userName } }],
    'current-context': userName,
  };
}

/** The program's own kubeconfig for the UTC day of `at` (core/secrets/deployer-client.ts). */
export async function deployerKubeconfig(stack: StackConfig, secrets: SecretsBundle, at: Date): Promise<Record<string, unknown>> {
  return certificateKubeconfig(stack, secrets, DEPLOYER_USER, await deployerClient(secrets, at));
}

export function talosconfig(stack: StackConfig, secrets: SecretsBundle): Record<string, unknown> {
  const cps = stack.nodes.filter((n) => n.role === 'controlplane').map((n) => n.address);
  return {
    context: stack.cluster.name,
    contexts: {
      [stack.cluster.name]: {
        endpoints: cps,
        nodes: stack.nodes.map((n) => n.address),
        ca: secrets.certs.os.crt,
        crt: secrets.clients.talosAdmin.crt,
        key: secrets.clients.talosAdmin.key,
      },
    },
  };
}

/**
 * kubectl → `kubectl oidc-login get-token` (int128/kubelogin). client.authentication.k8s.io/v1
 * requires interactiveMode; Never suits the browser flows kubelogin uses by default.
 */
export function userKubeconfig(stack: StackConfig, caCrtB64: string): Record<string, unknown> | undefined {
  const oidc = stack.oidc;
  if (!oidc) return undefined;
  const issuer = oidc.issuers[0];
  const name = stack.cluster.name;
  const user = `oidc@${name}`;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: stack.cluster.endpoint, 'certificate-authority-data': caCrtB64 } }],
    users: [
      {
        name: user,
        user: {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: 'kubectl',
            args: [
              'oidc-login',
              'get-token',
              `--oidc-issuer-url=${issuer.url}`,
              `--oidc-client-id=${oidc.clientId}`,
              ...oidc.extraScopes.map((s) => `--oidc-extra-scope=${s}`),
            ],
            interactiveMode: 'Never',
            provideClusterInfo: false,
          },
        },
      },
    ],
    contexts: [{ name, context: { cluster: name, user } }],
    'current-context': name,
  };
}
