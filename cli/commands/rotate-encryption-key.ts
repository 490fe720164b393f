import { Command } from 'commander';
import type { Act } from '../main';

export function registerRotate(program: Command, act: Act): void {
  program
    .command('rotate-encryption-key')
    .summary("rotate the etcd encryption key in a stack's secrets file (--begin, then --finish)")
    .description(
      "Rotate the key that encrypts Secrets (and ConfigMaps) at rest, in two steps on the stack's secrets file: --begin " +
        'adds a new key first; render and apply, rewrite every encrypted object; --finish retires the old keys; render ' +
        'and apply again (docs/operations.md).\n\nExit codes: 0 done, 2 invalid input, 1 anything else.',
    )
    .option('-s, --stack <name>', 'the stack whose <out>/<stack>/secrets.yaml is edited')
    .option('--begin', 'add a new encryption key, first in the list')
    .option('--finish', 'retire every key but the first')
    .option('--out <dir>', 'the folder renders are under', 'out')
    .option('--secrets <file>', 'edit this secrets file instead')
    .action(act('rotate-encryption-key', (o, g) => (require('../rotate-encryption-key') as typeof import('../rotate-encryption-key')).rotateCommand(o, g.io, g)));
}
