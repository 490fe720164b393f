import { Command, Option } from 'commander';
import type { Act } from '../main';

/** cli/drift.ts parses its own arguments; this gives it help, completion and --output json, and passes them on. */
export function registerDrift(program: Command, act: Act): void {
  program
    .command('drift')
    .summary('compare the live cluster with what the stack renders (read-only)')
    .description(
      'Compare the live cluster with what the stack renders and report each difference as the control it weakens. ' +
        'Read-only: Kubernetes as bulwark:deployer (or --kubeconfig for existing-cluster stacks), each node\'s machine ' +
        'configuration through talosctl with the stack\'s talosconfig.\n\nExit codes: 0 no drift, 3 drift, 4 no drift in ' +
        'what was read but something could not be read, 2 invalid input, 1 anything else.',
    )
    .option('-s, --stack <name>', 'the stack to compare')
    .option('--secrets <file>', "the stack's secrets bundle (default <out>/<stack>/secrets.yaml)")
    .option('--state <->', 'read the secrets bundle from the Pulumi state on stdin ("-")')
    .option('--server <url>', "another address of the same API server (a tunnel), instead of the stack's endpoint")
    .option('--kubeconfig <file>', 'a client-certificate kubeconfig (existing-cluster stacks)')
    .option('--no-nodes', "skip reading the nodes' machine configurations (the report says so)")
    .addOption(new Option('--format <format>', 'md for people, json for machines').choices(['md', 'json']).default('md'))
    .action(
      act('drift', async (o, g) => {
        const argv = [
          ...(o.stack !== undefined ? ['--stack', o.stack] : []),
          ...(['secrets', 'state', 'server', 'kubeconfig'] as const).flatMap((k) => (o[k] !== undefined ? [`--${k}`, o[k]] : [])),
          ...(o.nodes === false ? ['--no-nodes'] : []),
          '--format', g.output === 'json' ? 'json' : o.format,
        ];
        return (await import('../drift')).run(argv, { stdin: g.io.stdin, out: g.io.out });
      }),
    );
}
