import { Command, Option } from 'commander';
import type { Act } from '../main';
import { outOption, secretsOption, stackOptions } from './common';

export function registerPosture(program: Command, act: Act): void {
  stackOptions(program.command('posture').summary("print a stack's posture report"))
    .description(
      "Print a stack's posture report: every control enforced, depending on something the stack does not configure, " +
        'not applied, waived (with its reason), not required or not applicable, with its evidence and judge, and the CIS ' +
        'results. Nothing secret is printed; with no secrets file a throwaway bundle is used (the posture does not depend on it).' +
        '\n\nExit codes: 0 printed, 2 invalid input, 1 anything else.',
    )
    .addOption(
      new Option('--format <format>', 'md for people, json for machines (--output json is the same as json), html (one self-contained page), sarif (SARIF 2.1.0) or junit (JUnit XML); render writes all five')
        .choices(['md', 'json', 'html', 'sarif', 'junit'])
        .default('md'),
    )
    .addOption(secretsOption('the secrets bundle to render with (default <out>/<stack>/secrets.yaml if present)'))
    .addOption(outOption())
    .action(act('posture', async (o, g) => (await import('../posture')).postureCommand(o, g.io, g)));
}
