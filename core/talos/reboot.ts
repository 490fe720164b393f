/**
 * Which machine-configuration changes need a reboot, so the preview can say so.
 *
 * Talos 1.13 applies a changed configuration live only when nothing outside a fixed set of
 * fields changed; anything else needs a reboot (siderolabs/talos v1.13.9,
 * internal/app/machined/pkg/runtime/v1alpha1/v1alpha1_runtime.go, CanApplyImmediate). Only
 * the v1alpha1 document is compared; the other documents always apply live.
 * Talos 1.14 applies every change live (the server turns `--mode auto` into no-reboot and
 * `--mode reboot` was removed: v1.14.0-rc.1 v1alpha1_server.go ApplyConfiguration).
 *
 * The digest hashes exactly the fields whose change needs a reboot, minus machine.token
 * (a secret; it changes only in a deliberate rotation, see docs/operations.md). It carries no
 * secret, so it can sit in a plain command environment and show in `pulumi preview --diff`.
 */
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { LIVE } from './commands';
import type { TalosLine } from './defaults';

/** v1alpha1 `machine` fields Talos 1.13 changes without a reboot (yaml names). */
export const LIVE_MACHINE_FIELDS = [
  'ca', 'acceptedCAs', 'time', 'certSANs', 'install', 'network', 'sysfs', 'sysctls', 'logging', 'controlPlane', 'kubelet', 'kernel',
  'registries', 'pods', 'seccompProfiles', 'nodeAnnotations', 'nodeLabels', 'nodeTaints',
] as const;

/** v1alpha1 `machine.features` fields Talos 1.13 changes without a reboot. */
export const LIVE_FEATURE_FIELDS = ['kubernetesTalosAPIAccess', 'kubePrism', 'hostDNS', 'imageCache', 'nodeAddressSortAlgorithm'] as const;

/** Top-level v1alpha1 fields Talos 1.13 changes without a reboot. */
export const LIVE_TOP_LEVEL_FIELDS = ['debug', 'cluster'] as const;

/** Left out of the digest because it is a secret (see the module comment). */
const SECRET_MACHINE_FIELDS = ['token'];

/** The part of a 1.13 v1alpha1 document whose change needs a reboot. */
export function rebootRelevant(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...doc };
  for (const f of LIVE_TOP_LEVEL_FIELDS) delete out[f];
  const machine = doc.machine;
  if (machine && typeof machine === 'object') {
    const m: Record<string, unknown> = { ...(machine as Record<string, unknown>) };
    for (const f of [...LIVE_MACHINE_FIELDS, ...SECRET_MACHINE_FIELDS]) delete m[f];
    if (m.features && typeof m.features === 'object') {
      const features: Record<string, unknown> = { ...(m.features as Record<string, unknown>) };
      for (const f of LIVE_FEATURE_FIELDS) delete features[f];
      m.features = features;
    }
    out.machine = m;
  }
  return out;
}

/** `live` on lines that never reboot for a config change; else a hash of the reboot-relevant fields. */
export function rebootDigest(config: string, talosLine: TalosLine): string {
  if (talosLine !== '1.13') return LIVE;
  const v1alpha1 = parseAllDocuments(config)
    .map((d) => d.toJSON() as Record<string, unknown> | null)
    .find((d) => d && d.version === 'v1alpha1' && !('kind' in d));
  if (!v1alpha1) return LIVE;
  return sha256(canonicalJson(rebootRelevant(v1alpha1))).slice(0, 16);
}

/** Digest of a whole rendered configuration (it names a change; it reveals nothing of it). */
export function configDigest(config: string): string {
  return sha256(config).slice(0, 16);
}

export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** JSON with sorted keys, so the digest does not depend on key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
