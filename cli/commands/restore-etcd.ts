import { Command } from 'commander';
import type { Act } from '../main';
import { stackOptions } from './common';

export function registerRestoreEtcd(program: Command, act: Act): void {
  stackOptions(program.command('restore-etcd').summary("restore the cluster's etcd from a snapshot (prints the steps; --execute runs them)"))
    .description(
      "Restore a cluster's etcd from a decrypted snapshot (age -d -i <identity> <object> > db.snap) by Talos's recovery " +
        'path: wipe every control plane\'s etcd data, bootstrap the chosen one from the snapshot, wait for etcd. Without ' +
        "--execute it prints the steps; with it, runs talosctl for each (argv only, no shell), the stack's talosconfig in a " +
        '0600 file of a private folder removed afterwards. Destructive (docs/operations.md).' +
        '\n\nExit codes: 0 done (or the steps printed), 2 invalid input, 1 a step failed.',
    )
    .option('--node <name>', 'the control plane to restore on (a node of the stack with role controlplane)')
    .option('--snapshot <file>', 'the decrypted etcd snapshot, on this machine (talosctl uploads it)')
    .option('--secrets <file>', "the stack's secrets bundle, for its talosconfig (--execute needs it, or --state -)")
    .option('--state <->', 'read the secrets bundle from the Pulumi state on stdin: pulumi stack export --show-secrets | bulwark restore-etcd --state - ...')
    .option('--skip-hash-check', 'accept a snapshot without an integrity hash: one copied out of an etcd data directory rather than taken through the snapshot API')
    .option('--execute', 'run the steps (without it they are only printed)')
    .action(act('restore-etcd', async (o, g) => (await import('../restore-etcd')).restoreCommand(o, g.io, g)));
}
