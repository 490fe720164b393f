/**
 * The control-plane membership record under the real engine (Pulumi CLI, file backend): the program reads the
 * `controlPlanes` output the last `up` of its own stack left through a StackReference to itself
 * (components/membership.ts), and refuses an edit of bulwark:nodes that removes two control planes at once,
 * naming the key path; one at a time goes through. The program is the membership check and the record alone:
 * the node commands (etcd leave, remove-member, reset) need the command plugin, absent here, and run under the
 * mock runtime and against a stand-in talosctl (test/components/node-replacement.test.ts).
 */
import { exampleValues } from '../helpers';
import { membershipProgram } from './membership-program';
import { engineFile, notRunForReal, openStack, previewInOwnProcess, timed, writeStackFile } from './engine';

const { base, eng, project } = engineFile(__filename);

notRunForReal.push(
  'node replacement\'s Talos steps (<cp>-etcd-member: etcd leave before reset, remove-member through a peer for operations.deadNodes; resets): command:local:Command, whose plugin is absent; their order and scripts run under the mock runtime and the stand-in talosctl (test/components/node-replacement.test.ts).',
);

const program = membershipProgram;

type RawNode = { name: string; role: string; address: string; network?: unknown };
const prodWith = (keep: (n: RawNode) => boolean, allowEven = false) => {
  const v = exampleValues('prod');
  v.nodes = (v.nodes as RawNode[]).filter(keep);
  if (allowEven) (v.cluster as Record<string, unknown>).allowEvenControlPlanes = true;
  return v;
};

test('up records the control planes; removing two at once is refused naming bulwark:nodes; one at a time is accepted', async () => {
  writeStackFile(project, 'members', prodWith(() => true));
  const stack = await openStack(eng, project, 'members', program);
  expect((await timed('members: up (3 control planes)', () => stack.up({ color: 'never' }))).summary.result).toBe('succeeded');
  expect(((await stack.outputs()).controlPlanes.value as { name: string }[]).map((m) => m.name)).toEqual(['prod-cp-1', 'prod-cp-2', 'prod-cp-3']);

  // 3 → 1: refused before anything changes
  writeStackFile(project, 'members', prodWith((n) => n.name !== 'prod-cp-2' && n.name !== 'prod-cp-3'));
  const child = await previewInOwnProcess('members: preview (3 → 1, own process)', { base, project }, 'members', 'membership-program.ts');
  expect(child.status).toBe(0);
  const refused = child.error;
  expect(refused).toMatch(/bulwark:nodes: removes 2 control planes at once \(prod-cp-2, prod-cp-3\)/);
  expect(refused).toMatch(/Remove one \(e\.g\. prod-cp-2\), pulumi up, then the next/);

  // 3 → 2 (the even step allowed), then 2 → 1: each one member
  writeStackFile(project, 'members', prodWith((n) => n.name !== 'prod-cp-3', true));
  expect((await timed('members: up (3 → 2)', () => stack.up({ color: 'never' }))).summary.result).toBe('succeeded');
  writeStackFile(project, 'members', prodWith((n) => n.name !== 'prod-cp-2' && n.name !== 'prod-cp-3'));
  expect((await timed('members: up (2 → 1)', () => stack.up({ color: 'never' }))).summary.result).toBe('succeeded');
  expect(((await stack.outputs()).controlPlanes.value as { name: string }[]).map((m) => m.name)).toEqual(['prod-cp-1']);
});
