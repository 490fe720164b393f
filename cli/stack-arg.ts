/**
 * --stack <name> | --stack-file <path>, shared by the subcommands that read one stack. A name is
 * looked up in ./stacks/Pulumi.<name>.yaml of the current directory (a user's own repository with
 * Bulwark installed), else among the stacks shipped beside Bulwark (a checkout, the examples).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ValidStack } from '../core/config/validate';
import { STACK_NAME, loadStack, stackNameProblem } from '../core/stack';
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
  return STACK_NAME.test(a.stack!) && existsSync(own) ? loadStack({ stackFile: own }) : loadStack({ stack: a.stack });
}

/** Warnings of validation (inputs accepted but changing nothing), on stderr. */
export function printWarnings(v: ValidStack, io: Io): void {
  for (const w of v.warnings ?? []) io.err(`warning: ${w.path}: ${w.message}\n`);
}
