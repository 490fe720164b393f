/**
 * bulwark rotate-encryption-key --stack <name> (--begin | --finish) [--out <dir>] [--secrets <file>]
 * Edits the stack's secrets file; the next render / `pulumi up` carries the change.
 * Exit codes: 0 done, 2 invalid input, 1 anything else.
 */
import { join, resolve } from 'node:path';
import { encryptionKeys } from '../core/secrets/bundle';
import { beginRotation, finishRotation } from '../core/secrets/rotate';
import { stackNameProblem } from '../core/stack';
import { GlobalOptions, InputError, Io } from './io';
import { readSecretsFile, writeSecretsFile } from './secrets-file';

export interface RotateArgs {
  stack?: string;
  begin?: boolean;
  finish?: boolean;
  out?: string;
  secrets?: string;
}

export function rotateCommand(a: RotateArgs, io: Io, g: GlobalOptions): number {
  if (!a.stack) throw new InputError('--stack is missing; name the stack whose secrets file to edit (e.g. --stack prod)');
  if (!!a.begin === !!a.finish) throw new InputError('give exactly one of --begin (add a new key first) or --finish (retire the old keys)');
  const bad = a.secrets ? undefined : stackNameProblem(a.stack);
  // the name becomes <out>/<stack>/secrets.yaml, which this command rewrites
  if (bad) throw new InputError(`--stack: ${bad}`);
  const file = resolve(io.cwd, a.secrets ?? join(a.out ?? 'out', a.stack, 'secrets.yaml'));
  const next = a.begin ? beginRotation(readSecretsFile(file)) : finishRotation(readSecretsFile(file));
  writeSecretsFile(file, next);
  const names = encryptionKeys(next).map((k) => k.name);
  if (g.output === 'json') {
    io.out(`${JSON.stringify({ stack: a.stack, file, step: a.begin ? 'begin' : 'finish', keys: names }, null, 2)}\n`);
    return 0;
  }
  io.out(
    a.begin
      ? `new encryption key added first (keys now: ${names.join(', ')}).\nNext: render and apply (bulwark render / pulumi up), then rewrite every encrypted object:\n  kubectl get secrets,configmaps -A -o json | kubectl replace -f -\nthen run this again with --finish.\n`
      : `old encryption keys retired (keys now: ${names.join(', ')}). Render and apply to drop them from the control planes.\n`,
  );
  return 0;
}

/** `npm run rotate-encryption-key -- …` and older callers: the same as `bulwark rotate-encryption-key …` (synchronous). */
export function run(argv: string[]): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { bulwarkSync } = require('./main') as typeof import('./main');
  return bulwarkSync(['rotate-encryption-key', ...argv]);
}
