import { Command, Option } from 'commander';
import { LAYERS } from '../../core/controls/types';
import type { Act } from '../main';
import { stackOptions } from './common';

type Catalogue = typeof import('../catalogue');
const impl = () => require('../catalogue') as Catalogue;

export function registerCatalogue(program: Command, act: Act): void {
  stackOptions(
    program
      .command('explain')
      .argument('<control-id>', 'a control id, e.g. auth.anonymous.health-only (bulwark controls lists them)')
      .summary('one control: its threat, references, profiles, what it configures, how it is verified'),
  )
    .description(
      'Explain one control: the threat it answers, its references (CIS, Pod Security, NSA/CISA, KSPP), which profiles ' +
        'require or waive it, and, for a stack (--stack, else the first example stack that requires it), what it ' +
        'configures, what it depends on, its status and the judge that checked it.\n\nExit codes: 0 printed, 2 unknown control or stack.',
    )
    .action(act('explain', (o, g, args) => impl().explainCommand(args[0], o, g.io, g)));

  program
    .command('profiles')
    .summary('the threat-model profiles')
    .description('List the threat-model profiles: what each extends, the threat it answers, how many controls it requires and waives.')
    .action(act('profiles', (_o, g) => impl().profilesCommand(g.io, g)));

  program
    .command('controls')
    .summary('the controls of the catalogue (filter by --layer, --profile)')
    .description('List the catalogue\'s controls: id, layer and title; with --profile only those it requires (marking the ones it waives).\n\nExit codes: 0 printed, 2 unknown layer or profile.')
    .addOption(new Option('--layer <layer>', 'only this layer').choices(LAYERS))
    .option('--profile <name>', 'only the controls this profile requires')
    .action(act('controls', (o, g) => impl().controlsCommand(o, g.io, g)));
}
