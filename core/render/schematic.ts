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

/** The public Image Factory; `bulwark:imageFactory` names another (a site's own). */
export const DEFAULT_FACTORY_URL = 'https://factory.talos.dev';
export const FACTORY = new URL(DEFAULT_FACTORY_URL).host;

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

/** Talos ≥ 1.10 bare metal: the unified metal installer, SecureBoot-signed when asked, from the factory's registry. */
export function installerImage(id: string, talosVersion: string, secureboot: boolean, factoryUrl: string = DEFAULT_FACTORY_URL): string {
  return `${new URL(factoryUrl).host}/metal-installer${secureboot ? '-secureboot' : ''}/${id}:${talosVersion}`;
}

export interface FactoryRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** `POST /schematics` as the factory documents it (docs/api.md): the schematic's YAML in, `{"id": ...}` out. */
export function registrationRequest(factoryUrl: string, yaml: string): FactoryRequest {
  return { method: 'POST', url: new URL('/schematics', factoryUrl).href, headers: { 'Content-Type': 'application/yaml', Accept: 'application/json' }, body: yaml };
}

/**
 * What is wrong with the factory's answer, or undefined when it registered the schematic under the id
 * computed offline. Another id means the factory hashes another body than the one the installer name,
 * the posture report and the reviewed plan are built from (another factory version, an owner field).
 */
export function registrationProblem(factoryUrl: string, expectedId: string, status: number, body: string): string | undefined {
  const where = `the Image Factory at ${factoryUrl}`;
  if (status !== 200 && status !== 201) return `${where} answered POST /schematics with HTTP ${status}: ${body.trim().slice(0, 300)}`;
  let id: unknown;
  try {
    id = (JSON.parse(body) as { id?: unknown }).id;
  } catch {
    return `${where} answered POST /schematics with something that is not JSON: ${body.trim().slice(0, 300)}`;
  }
  if (typeof id !== 'string') return `${where} answered POST /schematics without an id: ${body.trim().slice(0, 300)}`;
  if (id !== expectedId)
    return `${where} registered the schematic as ${id}, but Bulwark computed ${expectedId} offline (the id in every installer image and boot-media URL); the factory hashes a different body (another factory version, or an owner it adds). Nothing was installed`;
  return undefined;
}
