/**
 * docs/configuration.md against the schema (core/config/schema.ts, the definitive description): every top-level
 * `bulwark:` key has its row in the key table and an example, every key at any depth is named in the page's code,
 * and every key an example uses exists in the schema where the example puts it (no renamed or invented key).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ZodType } from 'zod';
import { StackConfigError } from '../core/config/errors';
import { stackSchema } from '../core/config/schema';
import { validateValues } from '../core/stack';
import { TODAY } from './helpers';

const DOC = readFileSync(join(__dirname, '../docs/configuration.md'), 'utf8');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const defOf = (s: ZodType): any => (s as any)._zod.def;

/** Every key path of the schema, `cluster.vip.address`, `nodes[].taints[].key` ("[]" a list element). */
function schemaPaths(s: ZodType, path: string, out: string[], seen = new Set<ZodType>()): string[] {
  if (seen.has(s)) return out;
  seen.add(s);
  const def = defOf(s);
  switch (def.type) {
    case 'optional': case 'default': case 'nullable': case 'readonly': case 'catch': case 'prefault': case 'nonoptional':
      return schemaPaths(def.innerType, path, out, seen);
    case 'pipe':
      schemaPaths(def.in, path, out, seen);
      return schemaPaths(def.out, path, out, seen);
    case 'lazy':
      return schemaPaths(def.getter(), path, out, seen);
    case 'object':
      for (const [k, v] of Object.entries(def.shape as Record<string, ZodType>)) {
        out.push(path ? `${path}.${k}` : k);
        schemaPaths(v, path ? `${path}.${k}` : k, out, seen);
      }
      return out;
    case 'array':
      return schemaPaths(def.element, `${path}[]`, out, seen);
    case 'record':
      return schemaPaths(def.valueType, `${path}{}`, out, seen);
    case 'union':
      for (const o of def.options) schemaPaths(o, path, out, seen);
      return out;
    case 'intersection':
      schemaPaths(def.left, path, out, seen);
      return schemaPaths(def.right, path, out, seen);
    default:
      return out;
  }
}

/** The keys of `value` the schema has no place for, as paths. */
function unknownKeys(s: ZodType, value: unknown, path: string): string[] {
  const def = defOf(s);
  switch (def.type) {
    case 'optional': case 'default': case 'nullable': case 'readonly': case 'catch': case 'prefault': case 'nonoptional':
      return unknownKeys(def.innerType, value, path);
    case 'pipe':
      return unknownKeys(def.in, value, path);
    case 'lazy':
      return unknownKeys(def.getter(), value, path);
    case 'object': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
      const shape = def.shape as Record<string, ZodType>;
      return Object.entries(value).flatMap(([k, v]) => (k in shape ? unknownKeys(shape[k], v, `${path}.${k}`) : [`${path}.${k}`]));
    }
    case 'array':
      return Array.isArray(value) ? value.flatMap((v, i) => unknownKeys(def.element, v, `${path}[${i}]`)) : [];
    case 'record':
      return value && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => unknownKeys(def.valueType, v, `${path}.${k}`)) : [];
    case 'union': {
      // the option that fits best (a plain value fits every option without keys)
      const tries = (def.options as ZodType[]).map((o) => unknownKeys(o, value, path));
      return tries.reduce((a, b) => (b.length < a.length ? b : a));
    }
    default:
      return [];
  }
}

const fences = [...DOC.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2] }));
const prose = DOC.replace(/^```\w*\n[\s\S]*?^```$/gm, '');
const spans = [...prose.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]);
/** Every identifier the page writes as code: in code spans and in code blocks. */
const codeWords = new Set([...spans, ...fences.map((f) => f.body)].flatMap((t) => t.match(/[A-Za-z_$][\w$]*/g) ?? []));

/** The page's examples of stack values: `bulwark:` keys of its YAML blocks, and inline code spans `bulwark:<key>: <value>`. */
function examples(): { where: string; key: string; value: unknown }[] {
  const out: { where: string; key: string; value: unknown }[] = [];
  for (const [i, f] of fences.entries()) {
    if (f.lang !== 'yaml') continue;
    const doc = parse(f.body) as Record<string, unknown> | null;
    const top = doc && typeof doc === 'object' && 'config' in doc && Object.keys(doc).length === 1 ? (doc.config as Record<string, unknown>) : doc;
    for (const [k, v] of Object.entries(top ?? {})) if (k.startsWith('bulwark:')) out.push({ where: `yaml block ${i + 1}`, key: k.slice('bulwark:'.length), value: v });
  }
  for (const s of spans) {
    const m = s.match(/^bulwark:(\w+):\s/);
    if (m) out.push({ where: `\`${s}\``, key: m[1], value: (parse(s) as Record<string, unknown>)[`bulwark:${m[1]}`] });
  }
  return out;
}

const shape = defOf(stackSchema).shape as Record<string, ZodType>;
const TOP = Object.keys(shape);

describe('docs/configuration.md documents the schema', () => {
  it('every top-level key has its row in the key table', () => {
    expect(TOP.filter((k) => !new RegExp(`^\\| \`bulwark:${k}\` \\|`, 'm').test(DOC))).toEqual([]);
  });

  it('every key, at any depth, is named in the page', () => {
    const missing = [...new Set(schemaPaths(stackSchema, '', []))].filter((p) => !codeWords.has(p.split(/[.[\]{}]+/).filter(Boolean).at(-1)!));
    expect(missing.map((p) => `bulwark:${p}`)).toEqual([]);
  });

  it('every top-level key has an example', () => {
    const shown = new Set(examples().map((e) => e.key));
    expect(TOP.filter((k) => !shown.has(k)).map((k) => `bulwark:${k}`)).toEqual([]);
  });

  it('every example uses only keys the schema has, where it puts them', () => {
    const wrong = examples().flatMap((e) =>
      e.key in shape ? unknownKeys(shape[e.key], e.value, `bulwark:${e.key}`).map((p) => `${e.where}: ${p}`) : [`${e.where}: bulwark:${e.key} is no key of the schema`],
    );
    expect(wrong).toEqual([]);
  });

  it('every whole stack on the page (a YAML block under `config:`) is valid, as the program would find it', () => {
    const stacks = fences.filter((f) => f.lang === 'yaml' && /^config:\n/.test(f.body));
    expect(stacks.length).toBeGreaterThan(0);
    const problems = stacks.flatMap((f) => {
      const values = Object.fromEntries(Object.entries((parse(f.body) as { config: Record<string, unknown> }).config).map(([k, v]) => [k.replace(/^bulwark:/, ''), v]));
      try {
        validateValues('docs-example', values, { today: TODAY });
        return [];
      } catch (e) {
        if (e instanceof StackConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
        throw e;
      }
    });
    expect(problems).toEqual([]);
  });

  it('is not vacuous: the checks see the keys and the examples', () => {
    expect(TOP.length).toBeGreaterThan(15);
    expect(schemaPaths(stackSchema, '', []).length).toBeGreaterThan(150);
    expect(examples().length).toBeGreaterThan(5);
    // a made-up key is caught
    expect(unknownKeys(shape.network, { all: { bonds: [{ name: 'bond0', lacpRat: 'fast' }] } }, 'bulwark:network')).toEqual(['bulwark:network.all.bonds[0].lacpRat']);
  });
});
