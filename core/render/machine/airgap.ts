/**
 * Registry mirrors and the discovery service, as Talos documents (the same RegistryMirrorConfig and
 * RegistryTLSConfig kinds in contracts 1.13 and 1.14; discovery in v1alpha1 `cluster.discovery` for 1.13,
 * a DiscoveryServiceConfig document for 1.14).
 */
import { DEFAULT_DISCOVERY, type DiscoveryConfig } from '../../config/airgap';
import type { StackConfig } from '../../config/schema';

const doc = (kind: string, body: Record<string, unknown>) => ({ apiVersion: 'v1alpha1', kind, ...body });

export const discoveryOf = (stack: StackConfig): DiscoveryConfig => stack.discovery ?? DEFAULT_DISCOVERY;

export function registryDocs(stack: StackConfig): Record<string, unknown>[] {
  const r = stack.registries ?? { mirrors: [] };
  const mirrors = r.mirrors.map((m) =>
    doc('RegistryMirrorConfig', {
      name: m.registry,
      endpoints: m.endpoints.map((url) => ({ url, ...(m.overridePath ? { overridePath: true } : {}) })),
      ...(m.skipFallback ? { skipFallback: true } : {}),
    }),
  );
  // one TLS document per mirror host: Talos keys registry TLS by host[:port]
  const hosts = [...new Set(r.mirrors.flatMap((m) => m.endpoints.map((e) => new URL(e).host)))].sort();
  const tls = r.ca ? hosts.map((name) => doc('RegistryTLSConfig', { name, ca: r.ca })) : [];
  return [...mirrors, ...tls];
}

/** Contract 1.13's `cluster.discovery`. */
export function v1alpha1Discovery(stack: StackConfig): Record<string, unknown> {
  const d = discoveryOf(stack);
  if (!d.enabled) return { enabled: false };
  return { enabled: true, registries: { kubernetes: { disabled: true }, service: d.endpoint === DEFAULT_DISCOVERY.endpoint ? {} : { endpoint: d.endpoint } } };
}

/** Contract 1.14's DiscoveryServiceConfig, absent when discovery is off. */
export function discoveryServiceDocs(stack: StackConfig): Record<string, unknown>[] {
  const d = discoveryOf(stack);
  return d.enabled ? [doc('DiscoveryServiceConfig', { name: 'default', endpoint: d.endpoint })] : [];
}
