/**
 * Restoring etcd from a snapshot, Talos's disaster-recovery path, as argv lists (never a shell string):
 *  1. every control plane's etcd data is wiped (`talosctl reset --graceful=false --reboot
 *     --system-labels-to-wipe EPHEMERAL`: configuration and PKI in STATE are kept), so that no old member
 *     answers;
 *  2. wait until etcd on the recovery node reports Preparing (it waits for a bootstrap);
 *  3. `talosctl bootstrap --recover-from <snapshot>` on that node: Talos restores the snapshot and starts a
 *     one-member etcd; the other control planes join it as they come back;
 *  4. `talosctl health` for the declared nodes.
 * The snapshot is the decrypted one (age -d); a snapshot copied out of a data directory, rather than taken
 * through the snapshot API as the backup job does, has no hash and needs --recover-skip-hash-check. Pure.
 */
import type { StackConfig } from '../config/schema';

export interface RestoreStep {
  what: string;
  /** talosctl's arguments after `--talosconfig <file>`. */
  argv: string[];
  /** Repeat until talosctl prints this (a service state), or fail after the timeout. */
  until?: RegExp;
}

export function restorePlan(stack: StackConfig, opts: { node: string; snapshot: string; skipHashCheck?: boolean; healthTimeout?: string }): RestoreStep[] {
  const cps = stack.nodes.filter((n) => n.role === 'controlplane');
  const target = cps.find((n) => n.name === opts.node);
  if (!target) throw new Error(`--node ${JSON.stringify(opts.node)} is not a control plane of this stack (control planes: ${cps.map((n) => n.name).join(', ')})`);
  const at = (n: { address: string }) => ['--nodes', n.address, '--endpoints', n.address];
  const workers = stack.nodes.filter((n) => n.role === 'worker');
  return [
    ...cps.map((n) => ({ what: `wipe etcd data on ${n.name} (EPHEMERAL; STATE kept)`, argv: [...at(n), 'reset', '--graceful=false', '--reboot', '--wait', '--system-labels-to-wipe', 'EPHEMERAL'] })),
    { what: `wait for etcd on ${target.name} to wait for a bootstrap`, argv: [...at(target), 'service', 'etcd'], until: /^STATE\s+Preparing\s*$/m },
    { what: `restore the snapshot on ${target.name}`, argv: [...at(target), 'bootstrap', '--recover-from', opts.snapshot, ...(opts.skipHashCheck ? ['--recover-skip-hash-check'] : [])] },
    {
      what: 'cluster health',
      argv: [...at(target), 'health', '--wait-timeout', opts.healthTimeout ?? stack.operations.healthTimeout,
        '--control-plane-nodes', cps.map((n) => n.address).join(','), ...(workers.length ? ['--worker-nodes', workers.map((n) => n.address).join(',')] : [])],
    },
  ];
}
