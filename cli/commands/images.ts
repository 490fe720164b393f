import { Command } from 'commander';
import type { Act } from '../main';
import { stackOptions } from './common';

export function registerImages(program: Command, act: Act): void {
  stackOptions(program.command('images').summary("every image a stack's nodes pull (for a registry mirror)"))
    .description(
      "Print every image the stack's nodes pull, one per line, for a site that mirrors them; what the list cannot cover " +
        'goes to stderr. Needs no secret.\n\nExit codes: 0 printed, 2 invalid input, 1 anything else.',
    )
    .action(act('images', (o, g) => (require('../images') as typeof import('../images')).imagesCommand(o, g.io, g)));
}
