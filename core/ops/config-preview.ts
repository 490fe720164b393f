/**
 * A node's machine configuration as a reviewer reads it in `pulumi preview --diff`: one line per
 * setting, its full path first, every secret (and every value derived from one) replaced by
 * [redacted]. The program hands it to each node's component as a plain input, so the engine's
 * diff of a configuration change names the changed setting while the configuration itself stays
 * secret. Lines, not YAML: Pulumi's display parses a YAML or JSON string and then prints every
 * unchanged key too; text that is neither gets a line diff with two lines of context. The first
 * line starts with `@`, which YAML reserves, so the text never parses as YAML.
 *
 * Arrays of scalars print as `path[] = value` (no index: an insertion changes one line), arrays
 * of named objects by name, multi-line strings one line each as `path | line`.
 */
import type { SecretsBundle } from '../secrets/bundle';
import { clusterIdStd } from '../render/machine/multidoc';

export const REDACTED = '[redacted]';
export const PREVIEW_HEADER = '@ machine configuration, one setting per line; secrets [redacted]';

/** Every secret string of the bundle, as given and in the forms a machine configuration carries it (decoded PEM, std base64). */
export function secretNeedles(bundle: SecretsBundle): string[] {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string') {
      if (v.length < 8) return;
      out.add(v);
      const decoded = Buffer.from(v, 'base64').toString('utf8');
      // only text (a PEM block, a phrase): random key bytes decode to noise that no config holds
      if (decoded.length >= 8 && /^[\x20-\x7e\n\r\t]+$/.test(decoded)) out.add(decoded.trim());
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(bundle);
  out.add(clusterIdStd(bundle.cluster.id));
  return [...out].sort();
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const keyPath = (path: string, k: string) => (PLAIN_KEY.test(k) ? (path ? `${path}.${k}` : k) : `${path}[${JSON.stringify(k)}]`);

/** The name an array element is known by, when every element has a distinct one. */
function elementNames(items: unknown[]): string[] | undefined {
  const names = items.map((x) => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>).name ?? (x as Record<string, unknown>).interface : undefined));
  if (!names.every((n): n is string => typeof n === 'string') || new Set(names).size !== names.length) return undefined;
  return names;
}

function lines(v: unknown, path: string, secret: (s: string) => boolean, out: string[]): void {
  if (typeof v === 'string') {
    if (secret(v)) out.push(`${path} = ${JSON.stringify(REDACTED)}`);
    else if (v.includes('\n')) for (const l of v.replace(/\n$/, '').split('\n')) out.push(`${path} | ${l}`);
    else out.push(`${path} = ${JSON.stringify(v)}`);
  } else if (Array.isArray(v)) {
    if (!v.length) return void out.push(`${path} = []`);
    const names = elementNames(v);
    v.forEach((x, i) => {
      if (x !== null && typeof x === 'object') lines(x, `${path}[${names ? JSON.stringify(names[i]) : i}]`, secret, out);
      else lines(x, `${path}[]`, secret, out);
    });
  } else if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (!keys.length) return void out.push(`${path} = {}`);
    for (const k of keys) lines((v as Record<string, unknown>)[k], keyPath(path, k), secret, out);
  } else out.push(`${path} = ${JSON.stringify(v)}`);
}

/** A document's label: `v1alpha1` for the legacy document, else its kind (and name). */
function docLabel(d: Record<string, unknown>): string {
  if (typeof d.kind !== 'string') return String(d.version ?? 'v1alpha1');
  return typeof d.name === 'string' ? `${d.kind}[${JSON.stringify(d.name)}]` : d.kind;
}

/**
 * The preview of one node's configuration documents. `needles` are the secret strings
 * (secretNeedles of the bundle the documents were rendered with).
 */
export function configPreview(docs: Record<string, unknown>[], needles: string[]): string {
  const secret = (s: string) => needles.some((n) => s.includes(n));
  const out = [PREVIEW_HEADER];
  for (const d of docs) {
    const { apiVersion: _a, kind: _k, ...body } = d;
    const label = docLabel(d);
    lines(typeof d.kind === 'string' ? body : d, label, secret, out);
  }
  return `${out.join('\n')}\n`;
}

/**
 * The configuration changes in `pulumi preview --diff` output, per node, as Markdown for the CI
 * comment: each bulwark:talos:Node's changed machineConfig lines (already redacted), nodes with the
 * same changes listed together. '' when no node's configuration changes.
 */
export function previewNodeChanges(previewText: string): string {
  const byNode = new Map<string, string[]>();
  let node: string | undefined;
  let inConfig = false;
  for (const line of previewText.split('\n')) {
    const urn = /\[urn=urn:pulumi:[^\]]*::([^\]:]+)\]/.exec(line);
    if (urn) {
      node = line.includes('::bulwark:talos:Node::') ? urn[1] : undefined;
      inConfig = false;
      continue;
    }
    if (/^\s*(Resources|Policies|Diagnostics|Outputs):/.test(line) || /^\s*[-+~]{1,2} [\w:/.-]+: \(/.test(line)) {
      node = undefined;
      inConfig = false;
      continue;
    }
    if (node && /^\s*[~+-] machineConfig:/.test(line)) inConfig = true;
    else if (node && inConfig) {
      // the preview's own lines: a document label, then a path (core/ops/config-preview.ts)
      const m = /^\s*([-+]) ([A-Za-z0-9]+(?:\[|\.).*)$/.exec(line);
      if (m) byNode.set(node, [...(byNode.get(node) ?? []), `${m[1]} ${m[2]}`]);
    }
  }
  if (!byNode.size) return '';
  const groups = new Map<string, string[]>();
  for (const n of [...byNode.keys()].sort()) {
    const key = byNode.get(n)!.join('\n');
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  const longestTicks = Math.max(0, ...[...groups.keys()].map((k) => Math.max(0, ...(k.match(/`+/g) ?? []).map((t) => t.length))));
  const fence = '`'.repeat(Math.max(3, longestTicks + 1));
  const out = ['Node configuration changes (secrets redacted):', ''];
  for (const [lines, nodes] of groups) out.push(`${nodes.map((n) => `\`${n}\``).join(', ')}:`, '', `${fence}diff`, lines, fence, '');
  return out.join('\n');
}
