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
