import { Command, Option } from 'commander';
import type { Act } from '../main';
import { stackOptions } from './common';

export function registerDrift(program: Command, act: Act): void {
  stackOptions(program.command('drift').summary('compare the live cluster with what the stack renders (read-only)'))
    .description(
      'Compare the live cluster with what the stack renders and report each difference as the control it weakens. ' +
        'Read-only: Kubernetes as bulwark:deployer (a client certificate for today signed by the bundle\'s Kubernetes CA) at ' +
        "the stack's endpoint or --server, or --kubeconfig for existing-cluster stacks; each node's machine configuration " +
        "through talosctl with the stack's talosconfig on stdin (never a file).\n\nExit codes: 0 no drift, 3 drift, 4 no drift in " +
        'what was read but something could not be read, 2 invalid input, 1 anything else.',
    )
    .option('--secrets <file>', "the stack's secrets bundle (provisioned stacks need it, or --state -)")
    .option('--state <->', 'read the secrets bundle from the Pulumi state on stdin: pulumi stack export --show-secrets | bulwark drift --state - ...')
    .option('--server <url>', "another https address of the same API server (a tunnel), instead of the stack's endpoint")
    .option('--kubeconfig <file>', 'a client-certificate kubeconfig to read with (existing-cluster stacks)')
    .option('--no-nodes', "skip reading the nodes' machine configurations (the report says so; exit 0 is still possible)")
    .addOption(new Option('--format <format>', 'md for people, json for machines (--output json is the same as json)').choices(['md', 'json']).default('md'))
    .action(act('drift', async (o, g) => (await import('../drift')).driftCommand(o, g.io, g)));
}
