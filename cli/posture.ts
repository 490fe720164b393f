/**
 * npm run posture -- (--stack <name> | --stack-file <path>) [--format md|json] [--secrets <file>] [--out <dir>]
 *
 * Prints a stack's posture report. Rendering needs cluster secrets, the posture does not depend
 * on them: the stack's <out>/<stack>/secrets.yaml is used when present, else a throwaway bundle
 * generated in memory (never written). Nothing secret is printed.
 * Exit codes: 0 printed, 2 invalid input (every problem on stderr), 1 anything else.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findDefinitions, loadDefinitions } from '../core/cis/definitions';
import { StackConfigError } from '../core/config/errors';
import { postureMarkdown } from '../core/posture/report';
import { renderStack } from '../core/render/index';
import type { SecretsBundle } from '../core/secrets/bundle';
import { generateSecrets } from '../core/secrets/generate';
import { REPO_ROOT, loadStack } from '../core/stack';
import { SecretsFileError, readSecretsFile } from './secrets-file';
import { loadVerification } from '../core/posture/verification';

const USAGE = 'usage: npm run posture -- (--stack <name> | --stack-file <path>) [--format md|json] [--secrets <file>] [--out <dir>]';

export class UsageError extends Error {}

/** The given file, else the stack's rendered secrets.yaml, else a throwaway bundle (not written). */
export async function postureSecrets(explicit: string | undefined, stackSecrets: string): Promise<SecretsBundle> {
  if (explicit) return readSecretsFile(explicit);
  if (existsSync(stackSecrets)) return readSecretsFile(stackSecrets);
  return generateSecrets();
}

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: 'string' },
      'stack-file': { type: 'string' },
      format: { type: 'string', default: 'md' },
      secrets: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  if (!values.stack === !values['stack-file']) throw new UsageError(`give exactly one of --stack or --stack-file\n${USAGE}`);
  if (values.stack && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(values.stack)) throw new UsageError(`--stack "${values.stack}" is not a stack name (letters, digits, . _ -)`);
  if (values.format !== 'md' && values.format !== 'json') throw new UsageError(`--format is "${values.format}"; it must be md or json`);

  const valid = loadStack({ stack: values.stack, stackFile: values['stack-file'] && resolve(values['stack-file']) });
  const secrets = await postureSecrets(values.secrets && resolve(values.secrets), join(resolve(values.out ?? 'out'), valid.name, 'secrets.yaml'));
  const defsDir = findDefinitions(REPO_ROOT);
  const { posture } = renderStack(valid, secrets, {
    ...(defsDir ? { cis: { checks: loadDefinitions(defsDir), source: defsDir } } : {}),
    // the end-to-end suite's results (out/e2e/results.json), if it has run here
    verification: loadVerification(REPO_ROOT),
  });
  out(values.format === 'json' ? `${JSON.stringify(posture, null, 2)}\n` : postureMarkdown(posture));
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    if (e instanceof StackConfigError || e instanceof UsageError || e instanceof SecretsFileError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`posture failed: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) void run(process.argv.slice(2)).then((code) => process.exit(code));
