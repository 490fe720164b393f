/**
 * bulwark images (--stack <name> | --stack-file <path>)
 *
 * Prints every image the stack's nodes pull, one per line, for a site that mirrors them
 * (core/render/images.ts); what the list cannot cover goes to stderr. Needs no secret: it renders
 * with the placeholder bundle. Exit codes: 0 printed, 2 invalid input, 1 anything else.
 */
import { PLACEHOLDER_SECRETS } from '../core/ops/placeholder';
import { stackImages } from '../core/render/images';
import { renderStack } from '../core/render/index';
import { GlobalOptions, Io } from './io';
import { StackArgs, loadStackArg, printWarnings } from './stack-arg';

export function imagesCommand(a: StackArgs, io: Io, g: GlobalOptions): number {
  const valid = loadStackArg(a, io);
  printWarnings(valid, io);
  const { images, notes } = stackImages(valid.stack, renderStack(valid, PLACEHOLDER_SECRETS));
  if (g.output === 'json') io.out(`${JSON.stringify({ stack: valid.name, images, notes }, null, 2)}\n`);
  else {
    io.out(images.map((i) => `${i}\n`).join(''));
    for (const n of notes) io.err(`note: ${n}\n`);
  }
  return 0;
}

/** `npm run images -- …` and older callers: the same as `bulwark images …` (synchronous). */
export function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { bulwarkSync } = require('./main') as typeof import('./main');
  return bulwarkSync(['images', ...argv], { out, err });
}
