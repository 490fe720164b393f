/**
 * --stack <name> | --stack-file <path>, shared by the subcommands that read one stack. A name is
 * looked up in ./stacks/Pulumi.<name>.yaml of the current directory (a user's own repository with
 * Bulwark installed), else among the stacks shipped beside Bulwark (a checkout, the examples).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { suggest } from '../core/config/errors';
import type { ValidStack } from '../core/config/validate';
import { STACK_NAME, loadStack, stackFilePath, stackNameProblem } from '../core/stack';
import { InputError, Io } from './io';

export interface StackArgs {
  stack?: string;
  stackFile?: string;
}

/** What is wrong with --stack / --stack-file before anything is read, as one line of a problem list. */
export function stackArgProblem(a: StackArgs): string | undefined {
  if (a.stack && a.stackFile) return '--stack and --stack-file both given; name the stack (--stack <name>) or its file (--stack-file <path>), not both';
  if (a.stackFile) return undefined;
  const bad = a.stack ? stackNameProblem(a.stack) : 'is missing; name the stack (e.g. --stack prod) or give --stack-file <path>';
  return bad ? `--stack ${bad}` : undefined;
}

export function loadStackArg(a: StackArgs, io: Io): ValidStack {
  if (!a.stack === !a.stackFile) throw new InputError('give exactly one of --stack or --stack-file (--stack <name> or --stack-file <path>)');
  if (a.stackFile) return loadStack({ stackFile: resolve(io.cwd, a.stackFile) });
  const bad = stackNameProblem(a.stack!);
  if (bad) throw new InputError(`--stack ${bad}`);
  const own = join(io.cwd, 'stacks', `Pulumi.${a.stack}.yaml`);
  if (STACK_NAME.test(a.stack!) && existsSync(own)) return loadStack({ stackFile: own });
  if (!existsSync(stackFilePath(a.stack!))) {
    const known = [...new Set([...stacksIn(join(io.cwd, 'stacks')), ...stacksIn(join(stackFilePath('x'), '..'))])].sort();
    const near = suggest(a.stack!, known);
    throw new InputError(
      `--stack ${JSON.stringify(a.stack)}: no stack of that name in ${join(io.cwd, 'stacks')} or among Bulwark's examples${near.length ? ` (did you mean ${near[0]}?)` : ''}; ` +
        `stacks: ${known.join(', ') || '(none)'}; or give a file with --stack-file <path>`,
    );
  }
  return loadStack({ stack: a.stack });
}

/** Stack names of the Pulumi.<name>.yaml files in a folder. */
function stacksIn(dir: string): string[] {
  try {
    return readdirSync(dir).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((n): n is string => !!n && STACK_NAME.test(n));
  } catch {
    return [];
  }
}

/** Warnings of validation (inputs accepted but changing nothing), on stderr. */
export function printWarnings(v: ValidStack, io: Io): void {
  for (const w of v.warnings ?? []) io.err(`warning: ${w.path}: ${w.message}\n`);
}
