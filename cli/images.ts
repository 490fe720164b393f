/**
 * npm run images -- (--stack <name> | --stack-file <path>)
 *
 * Prints every image the stack's nodes pull, one per line, for a site that mirrors them
 * (core/render/images.ts); what the list cannot cover goes to stderr. Needs no secret: it renders
 * with the placeholder bundle. Exit codes: 0 printed, 2 invalid input, 1 anything else.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { StackConfigError } from '../core/config/errors';
import { PLACEHOLDER_SECRETS } from '../core/ops/placeholder';
import { stackImages } from '../core/render/images';
import { renderStack } from '../core/render/index';
import { loadStack } from '../core/stack';

const USAGE = 'usage: npm run images -- (--stack <name> | --stack-file <path>)';

export function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): number {
  let values: { stack?: string; 'stack-file'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { stack: { type: 'string' }, 'stack-file': { type: 'string' }, help: { type: 'boolean' } }, strict: true }));
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) return (out(`${USAGE}\n`), 0);
  if (!values.stack === !values['stack-file']) return (err(`give exactly one of --stack or --stack-file\n${USAGE}\n`), 2);
  try {
    const valid = loadStack({ stack: values.stack, stackFile: values['stack-file'] && resolve(values['stack-file']) });
    const { images, notes } = stackImages(valid.stack, renderStack(valid, PLACEHOLDER_SECRETS));
    out(images.map((i) => `${i}\n`).join(''));
    for (const n of notes) err(`note: ${n}\n`);
    return 0;
  } catch (e) {
    if (e instanceof StackConfigError) return (err(`${e.message}\n`), 2);
    err(`images failed: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
