/**
 * Config patches (`bulwark:patches`, `bulwark:nodes[i].patches`) applied to a node's rendered Talos
 * documents with the semantics of `talosctl machineconfig patch` (siderolabs/talos
 * pkg/machinery/config/configpatcher): a strategic merge patch is one Talos document merged into the
 * document with the same apiVersion, kind and name (appended when there is none), after its
 * `$patch: delete` markers are applied; a JSON patch (RFC 6902, fast-json-patch) is a list of
 * operations on the v1alpha1 document (Talos applies JSON patches to single-document configs only).
 *
 * Talos merges by Go type (config/merge/merge.go): maps merge key by key, lists append, a scalar
 * replaces unless it is the zero value ("" or 0; booleans always replace), and some fields merge
 * otherwise. Those fields are the table in patch-rules.ts, read from the Talos sources of both lines;
 * test/patches.test.ts holds the result to talosctl's for a corpus of patches.
 */
import { applyPatch, type Operation } from 'fast-json-patch';
import { type MergeRule, mergeRuleAt } from './patch-rules';

/** RFC 6902 operations as the stack gives them (core/config/patches.ts checks their shape). */
export type JsonPatch = { op: Operation['op']; path: string; value?: unknown; from?: string }[];
export type StrategicPatch = Record<string, unknown>;
export type ConfigPatch = JsonPatch | StrategicPatch;
export type Doc = Record<string, unknown>;
type Line = '1.13' | '1.14';

export class PatchError extends Error {}

export const isJsonPatch = (p: ConfigPatch): p is JsonPatch => Array.isArray(p);

/** The id Talos matches documents by: `apiVersion/kind[/name]`, the v1alpha1 document being `/v1alpha1`. */
export function documentId(d: Doc): string {
  const kind = typeof d.kind === 'string' ? d.kind : 'v1alpha1';
  const apiVersion = typeof d.apiVersion === 'string' ? d.apiVersion : '';
  return `${apiVersion}/${kind}${typeof d.name === 'string' && d.name ? `/${d.name}` : ''}`;
}

/** A document's name as reports print it: `v1alpha1`, `HostnameConfig`, `NetworkRuleConfig/apid`. */
export const documentLabel = (d: Doc): string => documentId(d).split('/').slice(1).join('/');

const clone = <T>(v: T): T => structuredClone(v);
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Applies one patch to a node's documents; returns new documents, never changes its input. */
export function applyConfigPatch(docs: Doc[], patch: ConfigPatch, line: Line): Doc[] {
  return isJsonPatch(patch) ? applyJson(docs, patch) : applyStrategic(docs, patch, line);
}

function applyJson(docs: Doc[], ops: JsonPatch): Doc[] {
  const at = docs.findIndex((d) => documentId(d) === '/v1alpha1');
  if (at < 0) throw new PatchError('there is no v1alpha1 document to apply a JSON patch to');
  let patched: Doc;
  try {
    patched = applyPatch(clone(docs[at]), clone(ops) as Operation[], true, true).newDocument as Doc;
  } catch (e) {
    throw new PatchError(`JSON patch failed on the v1alpha1 document: ${(e as Error).message.split('\n')[0]}`);
  }
  return docs.map((d, i) => (i === at ? patched : d));
}

function applyStrategic(docs: Doc[], patch: StrategicPatch, line: Line): Doc[] {
  const out = docs.map(clone);
  const body = clone(patch);
  const id = documentId(body);
  const deletes = collectDeletes(body, []);
  let target = out.findIndex((d) => documentId(d) === id);
  // Talos applies a patch's deletes before its merge (the decoder emits them first).
  for (const path of deletes) {
    if (target < 0) break; // a delete for a document the config does not have is skipped, as Talos does
    if (!path.length) {
      if (id === '/v1alpha1') throw new PatchError("can't delete the root of the v1alpha1 document");
      out.splice(target, 1);
      target = -1;
      continue;
    }
    deleteAt(out[target], path, documentLabel(body));
  }
  if (deletes.some((p) => !p.length) || isEmptyDocument(body)) return out;
  if (target < 0) out.push(body);
  else mergeInto(out[target], body, [], documentKind(body), line);
  return out;
}

const documentKind = (d: Doc): string => (typeof d.kind === 'string' ? d.kind : 'v1alpha1');

/** Only identity keys left (Talos: the decoder drops such a document). */
function isEmptyDocument(d: Doc): boolean {
  return Object.entries(d).every(([k, v]) => ['version', 'kind', 'name'].includes(k) && !isObject(v) && !Array.isArray(v));
}

/** A path segment of a delete: a key, or a list element picked by its first key's value. */
type DeleteSeg = string | { index: number; key: string; value: string };

/**
 * Removes every `$patch: delete` marker from the patch body, returning where each points. A marker
 * in a map deletes that map's key; in a list element, the target's element whose `key` (the element's
 * first other key) has the same value.
 */
function collectDeletes(node: Record<string, unknown>, path: DeleteSeg[]): DeleteSeg[][] {
  if (node.$patch === 'delete') {
    if (path.some((s) => typeof s !== 'string')) throw new PatchError(`cannot delete an inner key in '${printDelete(path)}'`);
    for (const k of Object.keys(node)) delete node[k];
    return [path];
  }
  const found: DeleteSeg[][] = [];
  for (const [key, value] of Object.entries(node)) {
    const before = found.length;
    if (isObject(value)) {
      found.push(...collectDeletes(value, [...path, key]));
      if (!Object.keys(value).length && found.length > before) delete node[key];
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const el = value[i];
        if (isObject(el) && el.$patch === 'delete') {
          if (path.some((s) => typeof s !== 'string')) throw new PatchError(`cannot delete an element of a list inside a list item ('${printDelete([...path, key])}')`);
          const first = Object.entries(el).find(([k]) => k !== '$patch');
          if (!first) throw new PatchError(`a list element to delete at '${printDelete([...path, key])}' names no key to find it by`);
          found.push([...path, key, { index: i, key: first[0], value: String(first[1]) }]);
          value.splice(i--, 1);
        } else if (isObject(el)) found.push(...collectDeletes(el, [...path, key, { index: i, key: '', value: '' }]));
      }
      if (!value.length && found.length > before) delete node[key];
    }
  }
  return found;
}

const printDelete = (path: DeleteSeg[]) => path.map((s) => (typeof s === 'string' ? s : `[${s.index}]`)).join('.');

function deleteAt(doc: Doc, path: DeleteSeg[], where: string): void {
  let cur: unknown = doc;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i] as string;
    if (!isObject(cur) || !(seg in cur)) throw new PatchError(`patch delete: path '${printDelete(path)}' in document ${where}: nothing there to delete`);
    cur = cur[seg];
  }
  const last = path[path.length - 1];
  if (typeof last === 'string') {
    if (!isObject(cur) || !(last in cur)) throw new PatchError(`patch delete: path '${printDelete(path)}' in document ${where}: nothing there to delete`);
    delete cur[last];
    return;
  }
  const at = Array.isArray(cur) ? cur.findIndex((el) => isObject(el) && el[last.key] !== undefined && String(el[last.key]) === last.value) : -1;
  if (at < 0) throw new PatchError(`patch delete: path '${printDelete(path)}' in document ${where}: no element with ${last.key}: ${last.value}`);
  (cur as unknown[]).splice(at, 1);
}

const isZeroScalar = (v: unknown) => v === '' || v === 0;

/** Talos's merge of `right` into `left` (in place), by the rules of the field at `path`. */
function mergeInto(left: Record<string, unknown>, right: Record<string, unknown>, path: string[], kind: string, line: Line): void {
  for (const [key, r] of Object.entries(right)) {
    const here = [...path, key];
    const rule = mergeRuleAt(kind, here, line);
    left[key] = mergeValue(left[key], r, here, rule, kind, line);
  }
}

function mergeValue(l: unknown, r: unknown, path: string[], rule: MergeRule | undefined, kind: string, line: Line): unknown {
  if (r === null || r === undefined) return l;
  if (l === undefined || l === null) return clone(r);
  const where = `${kind} ${path.join('.')}`;
  if (rule === 'replace') return clone(r);
  if (rule === 'args') {
    if (!isObject(l) || !isObject(r)) throw new PatchError(`merge type mismatch at ${where}: extraArgs must be a map`);
    return { ...l, ...clone(r) };
  }
  if (Array.isArray(l) !== Array.isArray(r) || isObject(l) !== isObject(r)) throw new PatchError(`merge type mismatch at ${where}: ${describe(l)} in the config, ${describe(r)} in the patch`);
  // scalars: a typed Talos field reads 1 and "1" alike, so a scalar of another type simply replaces
  if (Array.isArray(l) && Array.isArray(r)) {
    if (typeof rule === 'object') return mergeKeyedList(l, r, path, rule.keyedBy, kind, line);
    return [...l, ...clone(r)];
  }
  if (isObject(l) && isObject(r)) {
    mergeInto(l, r, path, kind, line);
    return l;
  }
  return isZeroScalar(r) ? l : r;
}

/** Lists Talos merges element by element (network interfaces, VLANs, admission plugins): matched by key, else appended. */
function mergeKeyedList(l: unknown[], r: unknown[], path: string[], keyOf: (el: Record<string, unknown>) => string | undefined, kind: string, line: Line): unknown[] {
  const out = l;
  for (const el of r) {
    const k = isObject(el) ? keyOf(el) : undefined;
    const existing = k === undefined ? undefined : out.find((x) => isObject(x) && keyOf(x) === k);
    if (existing && isObject(el)) mergeInto(existing as Record<string, unknown>, el, [...path, '*'], kind, line);
    else out.push(clone(el));
  }
  return out;
}

const describe = (v: unknown) => (Array.isArray(v) ? 'a list' : isObject(v) ? 'a map' : `a ${typeof v}`);
