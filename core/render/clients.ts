/**
 * Client configuration: the talosconfig (Talos API admin, from the secrets bundle), the user
 * kubeconfig (OIDC through kubelogin; it carries no credential at all), and the two
 * client-certificate kubeconfigs: the program's own (bulwark:deployer, for the Kubernetes
 * provider) and a person's break-glass one (minted on demand by `npm run break-glass`).
 */
import type { StackConfig } from '../config/schema';
import type { SecretsBundle } from '../secrets/bundle';
import { trustedCasB64 } from '../secrets/ca-rotation';
import { DEPLOYER_USER, deployerClient } from '../secrets/deployer-client';

/** A kubeconfig holding a client certificate and key (PEM strings) for the stack's endpoint. */
export function certificateKubeconfig(stack: StackConfig, secrets: SecretsBundle, user: string, client: { crt: string; key: string }): Record<string, unknown> {
  const name = stack.cluster.name;
  const userName = `${user}@${name}`;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: stack.cluster.endpoint, 'certificate-authority-data': trustedCasB64(secrets, 'k8s') } }],
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
        ca: trustedCasB64(secrets, 'os'),
        crt: secrets.clients.talosAdmin.crt,
        key: secrets.clients.talosAdmin.key,
      },
    },
  };
}

/** The kubelogin flow a person signs in with: a browser on their machine, or a code they enter elsewhere. */
export type LoginFlow = 'browser' | 'device-code';

function oidcUser(stack: StackConfig, flow: LoginFlow): Record<string, unknown> {
  const oidc = stack.oidc!;
  return {
    apiVersion: 'client.authentication.k8s.io/v1',
    command: 'kubectl',
    args: [
      'oidc-login',
      'get-token',
      `--oidc-issuer-url=${oidc.issuers[0].url}`,
      `--oidc-client-id=${oidc.clientId}`,
      ...oidc.extraScopes.map((s) => `--oidc-extra-scope=${s}`),
      // headless (SSH, a jump host): kubelogin prints a URL and a code to enter on any device
      ...(flow === 'device-code' ? ['--grant-type=device-code'] : []),
    ],
    interactiveMode: 'Never',
    provideClusterInfo: false,
  };
}

/**
 * kubectl → `kubectl oidc-login get-token` (int128/kubelogin). client.authentication.k8s.io/v1
 * requires interactiveMode; Never suits kubelogin, which opens a browser (or, with the device-code
 * user, prints a URL and code on stderr) and reads nothing from stdin. Contexts: `<cluster>` (the
 * browser flow, current), `<cluster>-device-code` for headless users, and `<cluster>/<tenant>` per
 * tenant with its namespace (`kubectl config use-context <cluster>/<tenant>`).
 */
export function userKubeconfig(stack: StackConfig, caCrtB64: string): Record<string, unknown> | undefined {
  if (!stack.oidc) return undefined;
  const name = stack.cluster.name;
  const user = `oidc@${name}`;
  const device = `oidc-device-code@${name}`;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: stack.cluster.endpoint, 'certificate-authority-data': caCrtB64 } }],
    users: [
      { name: user, user: { exec: oidcUser(stack, 'browser') } },
      { name: device, user: { exec: oidcUser(stack, 'device-code') } },
    ],
    contexts: [
      { name, context: { cluster: name, user } },
      { name: `${name}-device-code`, context: { cluster: name, user: device } },
      ...stack.tenants.map((t) => ({ name: `${name}/${t.name}`, context: { cluster: name, user, namespace: t.name } })),
    ],
    'current-context': name,
  };
}
