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
