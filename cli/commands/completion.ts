import { Argument, Command } from 'commander';
import type { Act } from '../main';

export function registerCompletion(program: Command, act: Act): void {
  program
    .command('completion')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(['bash', 'zsh']))
    .summary('print a bash or zsh completion script')
    .description('Print a completion script: eval "$(bulwark completion bash)" in ~/.bashrc, or eval "$(bulwark completion zsh)" in ~/.zshrc.')
    .action(
      act('completion', (_o, g, args) => {
        const c = require('../completion') as typeof import('../completion');
        g.io.out(args[0] === 'zsh' ? c.zshCompletion(program) : c.bashCompletion(program));
        return 0;
      }),
    );
}
