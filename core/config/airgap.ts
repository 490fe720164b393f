/**
 * What an air-gapped site changes: where images are pulled from (`bulwark:registries`, Talos's
 * RegistryMirrorConfig) and which discovery service nodes use (`bulwark:discovery`, or none).
 */
import { z } from 'zod';
import { httpsUrl } from './fields';

const registryName = z.string().regex(/^(\*|[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d{1,5})?)$/, {
  error: 'is not a registry name; use the first segment of an image name (docker.io, registry.k8s.io, ghcr.io) or "*" for every registry',
});

export const registriesSchema = z.strictObject({
  mirrors: z
    .array(
      z.strictObject({
        registry: registryName,
        endpoints: z.array(httpsUrl('a mirror endpoint')).min(1),
        /** The endpoint's path replaces /v2 (a pull-through cache serving several registries under paths). */
        overridePath: z.boolean().default(false),
        /** Never fall back to the registry itself when the mirrors fail (an air-gapped site has no way out). */
        skipFallback: z.boolean().default(true),
      }),
    )
    .default([]),
  /** PEM CA bundle the mirrors' certificates chain to (RegistryTLSConfig for each mirror host). */
  ca: z.string().regex(/-----BEGIN CERTIFICATE-----/, { error: 'is not a PEM certificate bundle; paste the CA certificate(s) starting with -----BEGIN CERTIFICATE-----' }).optional(),
});

export const discoverySchema = z.strictObject({
  /** Nodes find each other (KubeSpan, `talosctl get members`) through a discovery service. */
  enabled: z.boolean().default(true),
  endpoint: httpsUrl('the discovery service URL').default('https://discovery.talos.dev/'),
});

export type RegistriesConfig = z.infer<typeof registriesSchema>;
export type DiscoveryConfig = z.infer<typeof discoverySchema>;

export const DEFAULT_DISCOVERY: DiscoveryConfig = { enabled: true, endpoint: 'https://discovery.talos.dev/' };
