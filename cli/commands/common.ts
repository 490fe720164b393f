/** Option definitions several subcommands share, said once so their help reads the same. */
import { Command, Option } from 'commander';

export function stackOptions(cmd: Command): Command {
  return cmd
    .option('-s, --stack <name>', 'the stack: ./stacks/Pulumi.<name>.yaml, else the example of that name shipped with Bulwark')
    .option('-f, --stack-file <path>', 'a stack file anywhere (Pulumi.<stack>.yaml or <stack>.yaml); instead of --stack');
}

export const outOption = () => new Option('--out <dir>', 'the folder renders are written under: <dir>/<stack>/').default('out');
export const secretsOption = (what: string) => new Option('--secrets <file>', what);

/** Commander's camel-cased options as the implementations take them. */
export type Opts = Record<string, unknown>;
