/**
 * A control plane's etcd membership, as fixed scripts (the rules of core/talos/commands.ts: values
 * only in "$BULWARK_*" variables, the talosconfig on stdin). Talos removes a member two ways
 * (talosctl CLI reference, `etcd leave` and `etcd remove-member`, v1.13 and v1.14):
 *
 *  - leave: `talosctl etcd leave` on the node itself, when it leaves the stack. Talos removes the
 *    member, stops etcd and deletes its data, so the graceful reset that follows has no etcd to
 *    leave (machined's LeaveEtcd task skips a node without etcd data). The last member stays (etcd
 *    refuses to remove it): that is the first control plane on `pulumi destroy`, reset without --graceful.
 *  - remove via a peer: for a node in operations.deadNodes, whose API does not answer, the member
 *    named by the node's hostname is removed through a healthy control plane (`etcd members`,
 *    then `etcd remove-member <id>` there; "use this command only if … there is no access to the
 *    node", talosctl's help). Runs as soon as the node is marked dead, and again (finding nothing)
 *    when it leaves the stack; a dead node is never reset.
 */
import type { CommandSpec } from './commands';
import { PRELUDE, READ_TALOSCONFIG, script } from './script-parts';

/** The member ID of "$BULWARK_HOSTNAME" in members.txt (`etcd members`: the column before HOSTNAME; NODE, when shown, comes first). */
const MEMBER_ID = `id=$(awk -v host="$BULWARK_HOSTNAME" '{ for (i = 2; i <= NF; i++) if ($i == host) { print $(i - 1); exit } }' members.txt)`;

const REMOVE_VIA_PEER = script(
  '# The node is in operations.deadNodes: remove its etcd member through a healthy control plane (never contacts the node).',
  PRELUDE,
  READ_TALOSCONFIG,
  'cat > /dev/null',
  'talosctl etcd members --talosconfig talosconfig --nodes "$BULWARK_PEER" > members.txt',
  MEMBER_ID,
  'if [ -z "$id" ]; then',
  `  printf 'bulwark: no etcd member is named %s (already removed)\\n' "$BULWARK_HOSTNAME" >&2`,
  '  exit 0',
  'fi',
  `case "$id" in *[!0-9a-f]*) echo 'bulwark: etcd members printed an unexpected member id' >&2; exit 1;; esac`,
  'talosctl etcd remove-member --talosconfig talosconfig --nodes "$BULWARK_PEER" "$id" >&2',
  `printf 'bulwark: removed etcd member %s (%s) through %s\\n' "$id" "$BULWARK_HOSTNAME" "$BULWARK_PEER" >&2`,
);

const LEAVE = script(
  '# The control plane leaves the stack: it leaves etcd itself, before its reset. The last member stays (destroy).',
  PRELUDE,
  READ_TALOSCONFIG,
  'cat > /dev/null',
  'if ! talosctl etcd members --talosconfig talosconfig --nodes "$BULWARK_NODE" > members.txt; then',
  `  echo 'bulwark: the node did not answer; if its Talos API is gone, put it in operations.deadNodes and run pulumi up (its member is then removed through a peer) before removing it from bulwark:nodes' >&2`,
  '  exit 1',
  'fi',
  `if [ "$(awk 'NR > 1 && NF >= 4 { n++ } END { print n + 0 }' members.txt)" -le 1 ]; then`,
  `  echo 'bulwark: the last etcd member; it stays (its reset, without --graceful, wipes it)' >&2`,
  '  exit 0',
  'fi',
  'talosctl etcd leave --talosconfig talosconfig --nodes "$BULWARK_NODE" >&2',
);

const RESET_SKIPPED = script(
  '# The node is in operations.deadNodes: its API does not answer, so it is not reset.',
  'cat > /dev/null',
  `printf 'bulwark: %s is in operations.deadNodes: not reset; wipe or re-image the machine before it boots on this network again\\n' "$BULWARK_NODE" >&2`,
);

export const ETCD_SCRIPTS = { etcdRemoveViaPeer: REMOVE_VIA_PEER, etcdLeave: LEAVE, resetSkipped: RESET_SKIPPED } as const;

/**
 * The `<node>-etcd-member` command of a control plane. Live: nothing until the node leaves the stack,
 * then `etcd leave` on it. Dead: removal through `peer` on create, update (the run that marks it) and delete.
 * stdin: authenticatedStdin(talosconfig for the node, or for the peer when dead).
 */
export function etcdMemberCommand(p: { address: string; hostname: string; dead?: { peer: string } }): CommandSpec {
  if (p.dead) {
    const s = REMOVE_VIA_PEER;
    return { create: s, update: s, delete: s, environment: { BULWARK_PEER: p.dead.peer, BULWARK_HOSTNAME: p.hostname } };
  }
  return { delete: LEAVE, environment: { BULWARK_NODE: p.address } };
}
