import { Command, Option } from 'commander';
import type { Act } from '../main';

export function registerDiff(program: Command, act: Act): void {
  program
    .command('diff')
    .alias('posture:diff')
    .summary("what a change does to each stack's posture (a CI gate with --fail-on)")
    .description(
      "What a change does to each stack's posture: controls that stop or start being enforced, new or changed waivers, " +
        'CIS results, tenants, the production minimum profile (checked as the policy pack does) and, per node, whether the ' +
        'change means a new installer or schematic (upgrade and reboot), a reboot, or only a live apply. A side is a ' +
        'directory holding stacks/ and profiles/, or a git revision of --repo; both are rendered by this checkout.' +
        '\n\nExit codes: 0 printed (gate passed), 3 the --fail-on gate failed, 2 invalid input, 1 anything else.',
    )
    .requiredOption('--base <dir|rev>', 'the side before the change: a directory or a git revision')
    .requiredOption('--head <dir|rev>', 'the side after the change: a directory or a git revision')
    .option('-s, --stack <name>', 'only this stack (repeat for more; default every stack on either side)', (v: string, prev: string[] = []) => [...prev, v])
    .addOption(new Option('--format <format>', 'md (a pull-request comment) or json').choices(['md', 'json']).default('md'))
    .option('--repo <dir>', 'the git repository revisions are read from', '.')
    .option('--secrets <file>', 'a secrets bundle to render with (default a throwaway one: the posture does not depend on it)')
    .addOption(
      new Option('--fail-on <verdict>', 'exit 3 when a stack is failing (does not render, or is below its environment\'s minimum profile), or with weaker also when a posture weakens')
        .choices(['weaker', 'failing']),
    )
    .action(act('diff', async (o, g) => (await import('../posture-diff')).diffCommand(o as never, g.io, g)));
}
