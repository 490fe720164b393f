/**
 * Image Factory schematics: the system extensions and kernel arguments baked into a node's
 * installer image. The id is computed offline exactly as siderolabs/image-factory does
 * (pkg/schematic/schematic.go): sha256 over the YAML of the schematic struct, fields in struct
 * order, empty fields omitted, four-space indentation, sequences indented under their key.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';

export interface Schematic {
  customization: {
    extraKernelArgs?: string[];
    systemExtensions?: { officialExtensions: string[] };
    secureboot?: { includeWellKnownCertificates?: boolean };
  };
}

export const FACTORY = 'factory.talos.dev';

export function schematicFor(kernelArgs: string[], extensions: string[]): Schematic {
  const customization: Schematic['customization'] = {};
  if (kernelArgs.length) customization.extraKernelArgs = [...kernelArgs];
  if (extensions.length) customization.systemExtensions = { officialExtensions: [...extensions].sort() };
  return { customization };
}

/** The canonical bytes the Image Factory hashes (also what `<out>/schematics/<id>.yaml` holds). */
export function schematicYaml(s: Schematic): string {
  return stringify(s, { indent: 4, indentSeq: true, lineWidth: 0 });
}

export function schematicId(s: Schematic): string {
  return createHash('sha256').update(schematicYaml(s)).digest('hex');
}

/** Talos ≥ 1.10 bare metal: the unified metal installer, SecureBoot-signed when asked. */
export function installerImage(id: string, talosVersion: string, secureboot: boolean): string {
  return `${FACTORY}/metal-installer${secureboot ? '-secureboot' : ''}/${id}:${talosVersion}`;
}
