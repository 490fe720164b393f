/**
 * npm run rotate-encryption-key -- --stack <name> (--begin | --finish) [--out <dir>] [--secrets <file>]
 * Edits the stack's secrets file; the next render / `pulumi up` carries the change.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { beginRotation, finishRotation } from '../core/secrets/rotate';
import { encryptionKeys } from '../core/secrets/bundle';
import { stackNameProblem } from '../core/stack';
import { SecretsFileError, readSecretsFile, writeSecretsFile } from './secrets-file';

export function run(argv: string[]): number {
  try {
    const { values } = parseArgs({ args: argv, options: { stack: { type: 'string' }, out: { type: 'string' }, secrets: { type: 'string' }, begin: { type: 'boolean' }, finish: { type: 'boolean' } }, strict: true });
    if (!values.stack || values.begin === values.finish) {
      process.stderr.write('usage: npm run rotate-encryption-key -- --stack <name> (--begin | --finish) [--out <dir>] [--secrets <file>]\n');
      return 2;
    }
    const bad = values.secrets ? undefined : stackNameProblem(values.stack);
    if (bad) {
      // the name becomes <out>/<stack>/secrets.yaml, which this command rewrites
      process.stderr.write(`--stack: ${bad}\n`);
      return 2;
    }
    const file = resolve(values.secrets ?? join(values.out ?? 'out', values.stack, 'secrets.yaml'));
    const bundle = readSecretsFile(file);
    const next = values.begin ? beginRotation(bundle) : finishRotation(bundle);
    writeSecretsFile(file, next);
    const names = encryptionKeys(next).map((k) => k.name).join(', ');
    process.stdout.write(
      values.begin
        ? `new encryption key added first (keys now: ${names}).\nNext: render and apply (npm run render / pulumi up), then rewrite every encrypted object:\n  kubectl get secrets,configmaps -A -o json | kubectl replace -f -\nthen run this again with --finish.\n`
        : `old encryption keys retired (keys now: ${names}). Render and apply to drop them from the control planes.\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return e instanceof SecretsFileError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
  }
}

if (require.main === module) process.exit(run(process.argv.slice(2)));
