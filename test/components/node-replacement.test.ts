/**
 * Adding, removing and replacing control planes under the mock runtime: the etcd step of each control
 * plane and where it sits in the delete order (Pulumi deletes a resource before what it depends on),
 * a dead node's member removed through a healthy peer, the bootstrap node's duties moving, the refusal
 * of an edit that loses quorum against the membership the last `up` recorded; and the etcd scripts
 * themselves run against the fake talosctl.
 */
import { etcdMemberCommand } from '../../core/talos/etcd-commands';
import { SCRIPTS, authenticatedStdin } from '../../core/talos/commands';
import { exampleValues } from '../helpers';
import { runScript } from './fake-talosctl';
import { Run, isSecretValue, runProgram } from './harness';

function sized(cps: number, workers: number, operations: Record<string, unknown> = {}): Record<string, unknown> {
  const v = exampleValues('lab');
  const node = (i: number, role: string) => ({ name: `${role === 'controlplane' ? 'cp' : 'w'}-${i}`, address: `10.10.${role === 'controlplane' ? 1 : 2}.${i + 1}`, role, installDisk: '/dev/sda' });
  v.nodes = [...Array.from({ length: cps }, (_, i) => node(i, 'controlplane')), ...Array.from({ length: workers }, (_, i) => node(i, 'worker'))];
  v.operations = { ...(v.operations as object), resetOnDestroy: true, ...operations };
  delete v.network;
  return v;
}
const get = (run: Run, name: string) => {
  const r = run.byName.get(name);
  if (!r) throw new Error(`no resource ${name}`);
  return r;
};
const dependsOn = (run: Run, a: string, b: string) => get(run, a).dependencies.includes(get(run, b).urn);
const env = (run: Run, name: string) => get(run, name).raw.environment as Record<string, string>;
const recorded = (names: string[]) => ({ controlPlanes: names.map((n) => ({ name: n, address: `10.10.1.${Number(n.slice(3)) + 1}`, dead: false })) });

describe('a control plane leaving the stack leaves etcd first', () => {
  let run: Run;
  beforeAll(async () => (run = await runProgram(sized(3, 2), { stack: 'leave' })));

  test('every control plane (and no worker) has an etcd step: on delete, `etcd leave` on the node itself', () => {
    for (const n of ['cp-0', 'cp-1', 'cp-2']) {
      const r = get(run, `${n}-etcd-member`);
      expect(r.raw.delete).toBe(SCRIPTS.etcdLeave);
      expect(r.raw.create).toBeUndefined();
      expect(env(run, `${n}-etcd-member`)).toEqual({ BULWARK_NODE: get(run, `${n}-apply`).raw.environment && (get(run, `${n}-apply`).raw.environment as Record<string, string>).BULWARK_NODE });
      expect(isSecretValue(r.raw.stdin)).toBe(true);
    }
    expect(run.byName.has('w-0-etcd-member')).toBe(false);
  });

  test('it depends on the node\'s reset, so it is deleted (leaves) before the reset runs', () => {
    for (const n of ['cp-0', 'cp-1', 'cp-2']) expect(dependsOn(run, `${n}-etcd-member`, `${n}-reset`)).toBe(true);
  });

  test('chained like the resets: a destroy takes members out one at a time, the first control plane last', () => {
    expect(dependsOn(run, 'cp-1-etcd-member', 'cp-0-etcd-member')).toBe(true);
    expect(dependsOn(run, 'cp-2-etcd-member', 'cp-1-etcd-member')).toBe(true);
    expect(get(run, 'cp-0-etcd-member').dependencies).not.toContain(get(run, 'cp-2-etcd-member').urn);
  });

  test('the stack output records the membership for the next run', () => {
    expect(run.stackOutputs.controlPlanes).toEqual([
      { name: 'cp-0', address: '10.10.1.1', dead: false }, { name: 'cp-1', address: '10.10.1.2', dead: false }, { name: 'cp-2', address: '10.10.1.3', dead: false },
    ]);
  });
});

describe('a dead control plane (operations.deadNodes)', () => {
  let run: Run;
  beforeAll(async () => (run = await runProgram(sized(3, 2, { deadNodes: ['cp-1'] }), { stack: 'dead', previousOutputs: recorded(['cp-0', 'cp-1', 'cp-2']) })));

  test('registers', () => expect(run.error).toBeUndefined());

  test('its member is removed through a healthy peer on the run that marks it, and again on delete; the node is never contacted', () => {
    const r = get(run, 'cp-1-etcd-member');
    for (const k of ['create', 'update', 'delete']) expect(r.raw[k]).toBe(SCRIPTS.etcdRemoveViaPeer);
    expect(env(run, 'cp-1-etcd-member')).toEqual({ BULWARK_PEER: '10.10.1.1', BULWARK_HOSTNAME: 'cp-1' });
    expect(get(run, 'cp-1-reset').raw.delete).toBe(SCRIPTS.resetSkipped);
    expect(run.byName.has('cp-1-rollout')).toBe(false);
    expect(env(run, 'talos-health').BULWARK_CONTROL_PLANE_NODES).toBe('10.10.1.1,10.10.1.3');
  });

  test('the others keep their normal steps', () => {
    expect(get(run, 'cp-2-etcd-member').raw.delete).toBe(SCRIPTS.etcdLeave);
    expect(get(run, 'cp-2-reset').raw.delete).toBe(SCRIPTS.reset);
    expect(run.byName.has('cp-2-rollout')).toBe(true);
  });

  test('the record says it is dead, so the next run may remove it from bulwark:nodes', () => {
    expect((run.stackOutputs.controlPlanes as { name: string; dead: boolean }[]).find((m) => m.name === 'cp-1')?.dead).toBe(true);
  });
});

describe('replacing the bootstrap (first) control plane', () => {
  test('dead: bootstrap, health and the rollout\'s cluster-wide steps move to the next healthy member, which is also the peer', async () => {
    const run = await runProgram(sized(3, 1, { deadNodes: ['cp-0'] }), { stack: 'dead-first', previousOutputs: recorded(['cp-0', 'cp-1', 'cp-2']) });
    expect(run.error).toBeUndefined();
    for (const n of ['talos-bootstrap', 'talos-health', 'rollout-preflight-health', 'rollout-kubernetes-upgrade']) expect(env(run, n).BULWARK_NODE).toBe('10.10.1.2');
    expect(env(run, 'cp-0-etcd-member').BULWARK_PEER).toBe('10.10.1.2');
    // talos-bootstrap never runs again: it ignores changes of its target
    expect(get(run, 'talos-bootstrap').ignoreChanges).toEqual(expect.arrayContaining(['environment', 'stdin']));
    // the new holder's member is the one left last on destroy, and reset without --graceful
    expect(get(run, 'cp-1-etcd-member').dependencies).not.toContain(get(run, 'cp-0-etcd-member').urn);
    expect(env(run, 'cp-1-reset').BULWARK_GRACEFUL).toBe('false');
  });

  test('removed, with a new machine listed first: duties go to a control plane that was a member, not the one still installing', async () => {
    const v = sized(3, 1);
    (v.nodes as { name: string; address: string }[])[0] = { ...(v.nodes as { name: string; address: string }[])[0], name: 'cp-9', address: '10.10.1.10' };
    const run = await runProgram(v, { stack: 'replace-first', previousOutputs: recorded(['cp-0', 'cp-1', 'cp-2']) });
    expect(run.error).toBeUndefined();
    expect(env(run, 'talos-bootstrap').BULWARK_NODE).toBe('10.10.1.2');
  });
});

describe('an edit that loses quorum is refused before anything is registered', () => {
  test('two of three control planes removed at once', async () => {
    const run = await runProgram(sized(1, 1), { stack: 'shrink', bare: true, previousOutputs: recorded(['cp-0', 'cp-1', 'cp-2']) });
    expect(String(run.error)).toMatch(/bulwark:nodes: removes 2 control planes at once \(cp-1, cp-2\) .* Remove one/);
    expect(run.registrations.filter((r) => r.type === 'command:local:Command')).toEqual([]);
  });

  test('one at a time is accepted (with the even step allowed)', async () => {
    const v = sized(2, 1);
    (v.cluster as Record<string, unknown>).allowEvenControlPlanes = true;
    expect((await runProgram(v, { stack: 'shrink-one', previousOutputs: recorded(['cp-0', 'cp-1', 'cp-2']) })).error).toBeUndefined();
  });
});

describe('the etcd scripts, run against the fake talosctl', () => {
  const TC = 'apiVersion: v1\ncontext: c\n';
  const leave = etcdMemberCommand({ address: '10.10.1.3', hostname: 'cp-2' });
  const viaPeer = etcdMemberCommand({ address: '10.10.1.2', hostname: 'cp-1', dead: { peer: '10.10.1.1' } });
  const members = '8a1f00aa11bb22cc cp-0\n9b2e00aa11bb22cc cp-1\n7c3d00aa11bb22cc cp-2';
  const sub = (argv: string[]) => argv.slice(0, 2).join(' ');

  test('leave: lists the members on the node, then `etcd leave` there with the talosconfig from stdin', () => {
    const r = runScript(leave.delete!, leave.environment, authenticatedStdin(TC), { FAKE_ETCD_MEMBERS: members });
    expect(r.status).toBe(0);
    expect(r.calls.map((c) => sub(c.argv))).toEqual(['etcd members', 'etcd leave']);
    expect(r.calls[1].argv).toEqual(['etcd', 'leave', '--talosconfig', 'talosconfig', '--nodes', '10.10.1.3']);
    expect(r.calls[1].files['--talosconfig']).toEqual({ mode: '600', content: TC });
  });

  test('leave: the last member stays (destroy); a node that does not answer fails and names operations.deadNodes', () => {
    const last = runScript(leave.delete!, leave.environment, authenticatedStdin(TC), { FAKE_ETCD_MEMBERS: '7c3d00aa11bb22cc cp-2' });
    expect(last.status).toBe(0);
    expect(last.calls.map((c) => sub(c.argv))).toEqual(['etcd members']);
    expect(last.stderr).toMatch(/the last etcd member/);
    const down = runScript(leave.delete!, leave.environment, authenticatedStdin(TC), { FAKE_ETCD_DOWN: '1' });
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/put it in operations\.deadNodes and run pulumi up/);
  });

  test('via a peer: the member named by the hostname is removed by its id, on the peer only', () => {
    const r = runScript(viaPeer.create!, viaPeer.environment, authenticatedStdin(TC), { FAKE_ETCD_MEMBERS: members });
    expect(r.status).toBe(0);
    expect(r.calls.map((c) => c.argv)).toEqual([
      ['etcd', 'members', '--talosconfig', 'talosconfig', '--nodes', '10.10.1.1'],
      ['etcd', 'remove-member', '--talosconfig', 'talosconfig', '--nodes', '10.10.1.1', '9b2e00aa11bb22cc'],
    ]);
  });

  test('via a peer: already removed is success (the delete after the marking run); a hostile hostname matches nothing and runs nothing', () => {
    const gone = runScript(viaPeer.delete!, viaPeer.environment, authenticatedStdin(TC), { FAKE_ETCD_MEMBERS: '8a1f00aa11bb22cc cp-0\n7c3d00aa11bb22cc cp-2' });
    expect(gone.status).toBe(0);
    expect(gone.calls.map((c) => sub(c.argv))).toEqual(['etcd members']);
    const hostile = etcdMemberCommand({ address: 'x', hostname: 'cp-1 $(touch pwned)', dead: { peer: '10.10.1.1' } });
    const h = runScript(hostile.create!, hostile.environment, authenticatedStdin(TC), { FAKE_ETCD_MEMBERS: members });
    expect(h.status).toBe(0);
    expect(h.calls.map((c) => sub(c.argv))).toEqual(['etcd members']);
    expect(require('node:fs').existsSync(`${h.dir}/pwned`)).toBe(false);
  });

  test('a dead node\'s reset only says why it is not reset', () => {
    const r = runScript(SCRIPTS.resetSkipped, { BULWARK_NODE: '10.10.1.2', BULWARK_GRACEFUL: 'true' }, authenticatedStdin(TC));
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([]);
    expect(r.stderr).toMatch(/operations\.deadNodes: not reset/);
  });
});
