/**
 * A small YAML emitter for plain data (objects, arrays, strings, finite numbers, booleans,
 * null), used for the cluster-layer objects: thousands of small Kubernetes objects where the
 * `yaml` package's general serializer costs ~0.3 ms each and blew the render budget.
 *
 * Strings are written plain only when they match a conservative pattern that no YAML 1.1 or
 * 1.2 resolver reads as anything but a string; everything else is written double-quoted with
 * JSON escapes, which are valid YAML double-quoted escapes. test/yaml-emit.test.ts checks
 * with the `yaml` package as the parser that every value round-trips.
 */
const SAFE_PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*(:[A-Za-z0-9_./-]+)*$/;
const RESERVED = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|_)$/;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot emit ${v} as YAML`);
    return String(v);
  }
  const s = String(v);
  // /^[eE]\d/: some YAML 1.1 resolvers read "E0" as a float with an empty mantissa
  return SAFE_PLAIN.test(s) && !RESERVED.test(s) && !/^_/.test(s) && !/^[eE][-+]?\d/.test(s) ? s : JSON.stringify(s);
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
