import { Command, Option } from 'commander';
import type { Act } from '../main';

export function registerRotateCa(program: Command, act: Act): void {
  program
    .command('rotate-ca')
    .summary("rotate the Kubernetes or Talos API CA in a stack's secrets file (--phase accept, switch, drop)")
    .description(
      "Rotate a CA in place, in the three phases of `talosctl rotate-ca`, on the stack's secrets file: accept (a new CA, " +
        'accepted beside the old), switch (the new CA issues), drop (the old CA is no longer accepted); render and apply ' +
        'after each. For a Pulumi stack set bulwark:caRotation instead (docs/operations.md, "Rotating a CA after a leak").' +
        '\n\nExit codes: 0 done, 2 invalid input (a phase out of order included), 1 anything else.',
    )
    .option('-s, --stack <name>', 'the stack whose <out>/<stack>/secrets.yaml is edited')
    .addOption(new Option('--ca <name>', 'the CA to rotate: kubernetes or talos (the Talos API CA)').choices(['kubernetes', 'talos']))
    .addOption(new Option('--phase <phase>', 'the phase to move it to: accept, switch or drop, in that order').choices(['accept', 'switch', 'drop']))
    .option('--out <dir>', 'the folder renders are under', 'out')
    .option('--secrets <file>', 'edit this secrets file instead')
    .action(act('rotate-ca', async (o, g) => (await import('../rotate-ca')).rotateCaCommand(o, g.io, g)));
}
