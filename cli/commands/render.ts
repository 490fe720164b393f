import { Command } from 'commander';
import type { Act } from '../main';
import { outOption, secretsOption, stackOptions } from './common';

export function registerRender(program: Command, act: Act): void {
  stackOptions(program.command('render').summary('render a stack into <out>/<stack>/ (no cluster needed)'))
    .description(
      'Render a stack offline into <out>/<stack>/: Talos machine configs (nodes/), talosconfig, the OIDC kubeconfig, ' +
        'schematics, boot media URLs, the Kubernetes objects (cluster/), the posture report and secrets.yaml (mode 0600; ' +
        'generated on the first run, reused after). The folder is replaced as a whole; a link there, or a folder that is ' +
        'not an earlier render, is refused.\n\nExit codes: 0 rendered, 2 invalid input (every problem with its key path), 1 anything else.',
    )
    .addOption(outOption())
    .addOption(secretsOption('use this secrets bundle instead of <out>/<stack>/secrets.yaml (it is not copied into the render)'))
    .action(act('render', async (o, g) => (await import('../render')).renderCommand(o, g.io, g)));
}
