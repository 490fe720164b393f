/**
 * zod's issues as Bulwark's problems: each names the key path, what was found there and what
 * would be right. zod's own messages ("Invalid input: expected boolean, received string") say
 * neither the value nor the fix, and an issue carries the value only when parsed with
 * `reportInput: true` (validate.ts always asks for it).
 */
import type { z } from 'zod';
import { ConfigProblem, keyPath, quote, suggest } from './errors';

/** What a value is, as a message says it: `a string ("yes")`, `the number 1.14`, `a list`. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return `a list (${v.length} item${v.length === 1 ? '' : 's'})`;
  switch (typeof v) {
    case 'string':
      return `a string (${quote(v)})`;
    case 'number':
      return `the number ${v}`;
    case 'boolean':
      return `the boolean ${v}`;
    case 'object':
      return 'a map';
    default:
      return typeof v;
  }
}

const EXPECTED: Record<string, string> = {
  boolean: 'true or false',
  string: 'a string',
  number: 'a number',
  object: 'a map (key: value)',
  array: 'a list',
  record: 'a map (key: value)',
};

type Def = { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType; valueType?: z.ZodType; options?: z.ZodType[] };
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schemas a path may lead to (a union leads to each of its options). */
export function schemasAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): z.ZodType[] {
  let here: z.ZodType[] = [schema];
  for (const part of [...path, null]) {
    // unwrap optional/default/pipe to the schema that holds keys or items
    const open: z.ZodType[] = [];
    const stack = [...here];
    while (stack.length) {
      const s = stack.pop()!;
      const d = defOf(s);
      if (d.innerType) stack.push(d.innerType);
      else if (d.type === 'pipe' && d.in) stack.push(d.in);
      else if (d.type === 'union' && d.options) stack.push(...d.options);
      else open.push(s);
    }
    if (part === null) return open;
    here = open.flatMap((s) => {
      const d = defOf(s);
      if (d.type === 'object' && typeof part === 'string' && d.shape?.[part]) return [d.shape[part]];
      if (d.type === 'array' && typeof part === 'number' && d.element) return [d.element];
      if (d.type === 'record' && d.valueType) return [d.valueType];
      return [];
    });
  }
  return here;
}

/** The keys an object schema at `path` knows. */
function knownKeys(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  return [...new Set(schemasAt(schema, path).flatMap((s) => (defOf(s).type === 'object' ? Object.keys(defOf(s).shape ?? {}) : [])))];
}

/** Why a number or boolean that should have been a string is wrong, also once quoted (e.g. talosVersion: 1.14). */
function asStringToo(schema: z.ZodType, path: ReadonlyArray<PropertyKey>, input: unknown): string {
  const s = String(input);
  const fail = schemasAt(schema, path)
    .map((x) => x.safeParse(s, { reportInput: true }))
    .find((r) => !r.success);
  const hint = `YAML reads ${s} unquoted as a ${typeof input}`;
  if (!fail || fail.success) return `${hint}; quote it ("${s}")`;
  const msg = fail.error.issues[0]?.message ?? '';
  // the field's own message for the quoted value, e.g. that a Talos version is written v1.13.9
  return `${hint}, and even quoted, ${msg.startsWith('"') ? msg : `${quote(s)} ${msg}`}`;
}

/**
 * The problems of one failed parse. `schema` is the schema that was parsed (for known keys and
 * nested schemas), `prefix` the key path of the parsed value.
 */
export function zodProblems(error: z.ZodError, prefix: PropertyKey[], schema: z.ZodType): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const covered = new Set<string>(); // paths of keys an unknown key is a typo of, absent from the input
  for (const i of error.issues) {
    const path = keyPath([...prefix, ...i.path]);
    const input = (i as { input?: unknown }).input;
    if (i.code === 'unrecognized_keys') {
      const known = knownKeys(schema, i.path);
      const given = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
      const parts = i.keys.map((k) => {
        const near = suggest(k, known.filter((x) => !(x in given)));
        if (near.length) covered.add(keyPath([...prefix, ...i.path, near[0]]));
        return `${quote(k)}${near.length ? ` (did you mean ${quote(near[0])}?)` : ''}`;
      });
      out.push({ path, message: `has unknown key(s) ${parts.join(', ')}; known keys here: ${known.join(', ')}` });
    } else if (i.code === 'invalid_type' && input === undefined) {
      out.push({ path, message: i.message.startsWith('Invalid input') ? `is missing; it is required (${EXPECTED[i.expected] ?? i.expected})` : i.message });
    } else if (i.message.startsWith('must be') && input !== undefined) {
      // a schema's own "must be ..." says what is right; say what was found first
      out.push({ path, message: `is ${describeValue(input)}; it ${i.message}` });
    } else if (i.code === 'invalid_type' && i.message.startsWith('Invalid input')) {
      const want = EXPECTED[i.expected] ?? i.expected;
      const more = i.expected === 'string' && (typeof input === 'number' || typeof input === 'boolean') ? `; ${asStringToo(schema, i.path, input)}` : '';
      out.push({ path, message: `is ${describeValue(input)}, expected ${want}${more}` });
    } else if (i.code === 'invalid_value' && 'values' in i && i.message.startsWith('Invalid option')) {
      const values = i.values as unknown[];
      const near = typeof input === 'string' ? suggest(input, values.filter((v): v is string => typeof v === 'string')) : [];
      out.push({ path, message: `is ${quote(input)}; it must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}${near.length ? ` (did you mean ${quote(near[0])}?)` : ''}` });
    } else if (i.code === 'too_small' && i.origin === 'array' && i.message.startsWith('Too small')) {
      out.push({ path, message: `has ${Array.isArray(input) ? input.length : 0} item(s); it needs at least ${i.minimum}` });
    } else if ((i.code === 'too_small' || i.code === 'too_big') && /^Too (small|big)/.test(i.message) && i.origin === 'string' && typeof input === 'string') {
      const bound = i.code === 'too_small' ? `at least ${i.minimum}` : `at most ${i.maximum}`;
      out.push({ path, message: `is ${quote(input)} (${[...input].length} characters); it must have ${bound}` });
    } else if ((i.code === 'too_small' || i.code === 'too_big') && /^Too (small|big)/.test(i.message) && i.origin === 'number') {
      const bound = i.code === 'too_small' ? `at least ${i.minimum}` : `at most ${i.maximum}`;
      out.push({ path, message: `is ${String(input)}; it must be ${bound}` });
    } else if (i.message.startsWith('Invalid input')) {
      out.push({ path, message: `is ${describeValue(input)}, which is not valid here (${i.message})` });
    } else out.push({ path, message: i.message });
  }
  // A key's typo explains that key's absence: "installdisk (did you mean installDisk?)" is the whole story.
  return out.filter((p) => !covered.has(p.path));
}
