/**
 * A small YAML emitter for plain data (objects, arrays, strings, finite numbers, booleans,
 * null), used for the cluster-layer objects: thousands of small Kubernetes objects where the
 * `yaml` package's general serializer costs ~0.3 ms each and blew the render budget.
 *
 * Strings are written plain only when they match a conservative pattern that no YAML 1.1 or
 * 1.2 resolver reads as anything but a string; everything else is written double-quoted with
 * every character outside printable ASCII escaped. JSON.stringify is not enough: it leaves DEL
 * and the C1 controls (U+0080–U+009F) raw, which go-yaml (kubectl, the Kubernetes provider)
 * refuses, or for U+0085 (NEL, a YAML 1.1 line break) folds into a space — a different group
 * name than the one rendered. test/yaml-emit.test.ts judges with go-yaml itself and the `yaml`
 * package in both YAML versions.
 */
const SAFE_PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*(:[A-Za-z0-9_./-]+)*$/;
const RESERVED = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|_)$/;

const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/;

/** A double-quoted YAML scalar holding only printable ASCII: YAML 1.1 and 1.2 read it alike. */
function quoted(s: string): string {
  if (!NOT_PRINTABLE_ASCII.test(s)) return JSON.stringify(s);
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c >= 0x20 && c <= 0x7e) out += ch;
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x09) out += '\\t';
    else if (c >= 0xd800 && c <= 0xdfff) throw new Error(`cannot emit a lone UTF-16 surrogate (U+${c.toString(16).toUpperCase()}) as YAML: no UTF-8 text holds it`);
    else if (c <= 0xffff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot emit ${v} as YAML`);
    return String(v);
  }
  const s = String(v);
  // /^[eE]\d/: some YAML 1.1 resolvers read "E0" as a float with an empty mantissa
  return SAFE_PLAIN.test(s) && !RESERVED.test(s) && !/^_/.test(s) && !/^[eE][-+]?\d/.test(s) ? s : quoted(s);
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function emit(v: unknown, indent: string, out: string[]): void {
  // called for a value that starts on a fresh line at `indent`
  if (isMap(v)) {
    for (const [k, val] of Object.entries(v)) {
      if (val === undefined) continue;
      const key = scalar(k);
      if (isMap(val) && Object.keys(val).length) {
        out.push(`${indent}${key}:`);
        emit(val, `${indent}  `, out);
      } else if (Array.isArray(val) && val.length) {
        out.push(`${indent}${key}:`);
        emit(val, `${indent}  `, out);
      } else out.push(`${indent}${key}: ${inline(val)}`);
    }
  } else if (Array.isArray(v)) {
    for (const item of v) {
      if ((isMap(item) && Object.keys(item).length) || (Array.isArray(item) && item.length)) {
        const nested: string[] = [];
        emit(item, `${indent}  `, nested);
        // first line of the nested block goes after the dash
        out.push(`${indent}- ${nested[0].slice(indent.length + 2)}`, ...nested.slice(1));
      } else out.push(`${indent}- ${inline(item)}`);
    }
  } else out.push(`${indent}${scalar(v)}`);
}

function inline(v: unknown): string {
  if (isMap(v)) return '{}';
  if (Array.isArray(v)) return '[]';
  return scalar(v);
}

export function emitYaml(v: unknown): string {
  if (!isMap(v) && !Array.isArray(v)) return `${scalar(v)}\n`;
  if ((isMap(v) && !Object.keys(v).length) || (Array.isArray(v) && !v.length)) return `${inline(v)}\n`;
  const out: string[] = [];
  emit(v, '', out);
  return `${out.join('\n')}\n`;
}
