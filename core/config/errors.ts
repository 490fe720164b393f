/**
 * Problems with a stack are collected, never thrown one at a time: the user sees every
 * problem of a stack at once, each with the key path (in the syntax
 * `pulumi config set --path` accepts), what is wrong and what would be right.
 */
export interface ConfigProblem {
  /** e.g. `bulwark:nodes[1].address` */
  path: string;
  message: string;
}

export class StackConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(readonly stack: string, problems: ConfigProblem[]) {
    // The net under quote(): whatever a message echoes, no problem prints more than a screenful.
    const cut = problems.map((p) => ({ path: clip(p.path, MAX_PATH), message: clip(p.message, MAX_MESSAGE) }));
    super(formatProblems(stack, cut));
    this.problems = cut;
    this.name = 'StackConfigError';
  }
}

/** Longest value a message echoes in full; longer ones are cut (a 100 kB group name is not a message). */
export const MAX_QUOTED = 80;
const MAX_PATH = 300;
const MAX_MESSAGE = 1000;

/** The length of a string as people count it (code points, not UTF-16 units). */
const lengthOf = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

function cutAt(s: string, max: number): string {
  let out = '';
  let n = 0;
  for (const ch of s) {
    if (n++ === max) break;
    out += ch;
  }
  return out;
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${cutAt(s, max)}… (cut; ${lengthOf(s)} characters in all)`;
}

/**
 * A user's value as a message quotes it: JSON-quoted (control characters escaped), and cut to
 * MAX_QUOTED characters with an ellipsis and the full length when longer.
 */
export function quote(value: unknown): string {
  const s = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  if (s.length <= MAX_QUOTED) return typeof value === 'string' ? JSON.stringify(s) : s;
  const cut = JSON.stringify(`${cutAt(s, MAX_QUOTED)}…`);
  return `${cut} (${lengthOf(s)} characters)`;
}

/** A value a message writes unquoted (a version, a URL): as it is when short, else cut like quote(). */
export const brief = (value: string): string => (value.length <= MAX_QUOTED ? value : quote(value));

export function formatProblems(stack: string, problems: ConfigProblem[]): string {
  const lines = problems.map((p) => `  - ${p.path}: ${p.message}`);
  const noun = problems.length === 1 ? 'problem' : 'problems';
  return `stack ${quote(stack)} is invalid (${problems.length} ${noun}):\n${lines.join('\n')}`;
}

/** `['nodes', 1, 'address']` → `bulwark:nodes[1].address` */
export function keyPath(parts: ReadonlyArray<PropertyKey>): string {
  let out = 'bulwark';
  parts.forEach((part, i) => {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const name = String(part);
      if (name.length > MAX_QUOTED) out += `[${quote(name)}]`;
      else out += i === 0 ? `:${name}` : /^[A-Za-z_][\w-]*$/.test(name) ? `.${name}` : `["${name}"]`;
    }
  });
  return out;
}

/** Levenshtein distance (insertions, deletions, substitutions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[y.length];
}

/**
 * The candidates a mistyped name most likely meant, nearest first: within a third of the name's
 * length in edits (at least 1, at most 4). A dotted id (k8s.apiserver.always-pull-images) also
 * matches by its trailing parts, so `always-pull-image` finds it.
 */
export function suggest(input: string, candidates: readonly string[], max = 3): string[] {
  if (!input || input.length > 200) return [];
  const limit = Math.min(4, Math.max(1, Math.floor(input.length / 3)));
  const scored = candidates
    .map((c) => {
      const parts = c.split('.');
      const tails = parts.map((_, k) => parts.slice(k).join('.'));
      return { c, d: Math.min(...tails.map((t) => editDistance(input, t))) };
    })
    .filter((s) => s.d <= limit && s.c !== input)
    .sort((p, q) => p.d - q.d || p.c.localeCompare(q.c));
  return scored.slice(0, max).map((s) => s.c);
}
