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
  constructor(readonly stack: string, readonly problems: ConfigProblem[]) {
    super(formatProblems(stack, problems));
    this.name = 'StackConfigError';
  }
}

export function formatProblems(stack: string, problems: ConfigProblem[]): string {
  const lines = problems.map((p) => `  - ${p.path}: ${p.message}`);
  const noun = problems.length === 1 ? 'problem' : 'problems';
  return `stack "${stack}" is invalid (${problems.length} ${noun}):\n${lines.join('\n')}`;
}

/** `['nodes', 1, 'address']` → `bulwark:nodes[1].address` */
export function keyPath(parts: ReadonlyArray<PropertyKey>): string {
  let out = 'bulwark';
  parts.forEach((part, i) => {
    if (typeof part === 'number') out += `[${part}]`;
    else out += i === 0 ? `:${String(part)}` : /^[A-Za-z_][\w-]*$/.test(String(part)) ? `.${String(part)}` : `["${String(part)}"]`;
  });
  return out;
}
