/**
 * Control-plane membership edits of bulwark:nodes: the static rules of operations.deadNodes (through the
 * stack validation) and the rules against the membership the last `pulumi up` recorded
 * (core/config/membership.ts), each refusal with its key path and what to do instead.
 */
import { Member, membersOf, membershipProblems, quorum } from '../core/config/membership';
import { dutyHolder } from '../core/ops/membership';
import { validateValues } from '../core/stack';
import { TODAY, configProblems, exampleValues } from './helpers';

type RawNode = { name: string; role: string; address: string; network?: unknown };
const cp = (n: RawNode, k: number): RawNode => ({ ...n, name: `prod-cp-${k}`, address: `10.20.0.1${k}`, network: { vlans: [{ id: 20, parent: 'bond0', addresses: [`10.20.0.1${k}/24`], gateway: '10.20.0.1' }] } });
const prod = (change: (nodes: RawNode[], v: Record<string, unknown>) => void = () => {}) => {
  const v = exampleValues('prod');
  change(v.nodes as RawNode[], v);
  return v;
};
const valid = (v: Record<string, unknown>) => validateValues('prod', v, { today: TODAY }).stack;
const recorded = membersOf(valid(prod()));
const withDead = (v: Record<string, unknown>, dead: string[]) => ({ ...v, operations: { ...(v.operations as object), deadNodes: dead } });

describe('operations.deadNodes (no history needed)', () => {
  test('names a listed node; naming none is refused with its key path and the two-step way', () => {
    const problems = configProblems(withDead(prod(), ['prod-cp-9']));
    expect(problems).toEqual([{ path: 'bulwark:operations.deadNodes[0]', message: expect.stringMatching(/"prod-cp-9" names no node of bulwark:nodes; mark a node dead while it is still listed .* then remove it from bulwark:nodes and from operations.deadNodes together/) }]);
  });

  test('one dead of three keeps quorum; two dead of three is lost quorum, and the message says restore', () => {
    expect(configProblems(withDead(prod(), ['prod-cp-2']))).toEqual([]);
    const problems = configProblems(withDead(prod(), ['prod-cp-2', 'prod-cp-3']));
    expect(problems).toEqual([{ path: 'bulwark:operations.deadNodes', message: expect.stringMatching(/marks 2 of 3 control planes dead .* needs 2 live members .* lost quorum: restore from an etcd snapshot/) }]);
  });

  test('quorum is a majority', () => expect([1, 2, 3, 4, 5].map(quorum)).toEqual([1, 2, 2, 3, 3]));
});

describe('edits against the recorded membership', () => {
  test('removing two of three control planes at once is refused, naming both, with one-at-a-time as the way', () => {
    const next = valid(prod((n) => n.splice(1, 2)));
    expect(membershipProblems(recorded, next)).toEqual([{
      path: 'bulwark:nodes',
      message: expect.stringMatching(/removes 2 control planes at once \(prod-cp-2, prod-cp-3\) of the 3 .* one at a time, .* Remove one \(e\.g\. prod-cp-2\), pulumi up, then the next; a step through an even count needs bulwark:cluster\.allowEvenControlPlanes: true/),
    }]);
  });

  test('3 → 2 is refused by the static even-count rule, not by the transition (one member leaving while two keep quorum is safe)', () => {
    expect(configProblems(prod((n) => n.splice(2, 1)))).toEqual([{ path: 'bulwark:nodes', message: expect.stringMatching(/has 2 control-plane nodes; etcd needs an odd number/) }]);
    const even = prod((n, v) => { n.splice(2, 1); (v.cluster as Record<string, unknown>).allowEvenControlPlanes = true; });
    expect(membershipProblems(recorded, valid(even))).toEqual([]);
  });

  test('replacing one control plane (remove one, add one) and adding several are allowed', () => {
    const replaced = valid(prod((n) => { n[2] = cp(n[2], 4); }));
    expect(membershipProblems(recorded, replaced)).toEqual([]);
    const grown = valid(prod((n) => n.push(cp(n[0], 4), cp(n[0], 5))));
    expect(membershipProblems(recorded, grown)).toEqual([]);
  });

  test('a control plane under its old name at a new address is refused: etcd knows the member by the old one', () => {
    const moved = valid(prod((n) => { n[1] = { ...n[1], address: '10.20.0.99' }; }));
    expect(membershipProblems(recorded, moved)).toEqual([{ path: 'bulwark:nodes', message: expect.stringMatching(/gives control plane prod-cp-2 a new address .*→ 10\.20\.0\.99.* Remove "prod-cp-2" .* then add the machine under a new name/) }]);
  });

  test('a control plane marked dead does not come back under its name: its etcd member is gone', () => {
    const wasDead = recorded.map((m) => ({ ...m, dead: m.name === 'prod-cp-2' }));
    expect(membershipProblems(wasDead, valid(prod()))).toEqual([{ path: 'bulwark:operations.deadNodes', message: expect.stringMatching(/no longer names prod-cp-2, whose etcd member was removed .* add it under a new name/) }]);
    expect(membershipProblems(wasDead, valid(withDead(prod(), ['prod-cp-2'])))).toEqual([]);
  });

  test('nothing recorded (first up, or a stack from before the record): only the static rules', () => {
    expect(membershipProblems(undefined, valid(prod((n) => n.splice(1, 2))))).toEqual([]);
  });
});

describe('bootstrap duties', () => {
  const nodes = valid(prod()).nodes;
  test('the first control plane; when it is dead or gone, the next one that was a member', () => {
    expect(dutyHolder(nodes, [], recorded).name).toBe('prod-cp-1');
    expect(dutyHolder(nodes, ['prod-cp-1'], recorded).name).toBe('prod-cp-2');
    expect(dutyHolder(nodes.slice(1), [], recorded).name).toBe('prod-cp-2');
  });

  test('never a control plane added in this run (it is still installing), nor one recorded dead', () => {
    const added = [{ ...nodes[0], name: 'prod-cp-0', address: '10.20.0.10' }, ...nodes.slice(1)];
    expect(dutyHolder(added, [], recorded).name).toBe('prod-cp-2');
    const deadBefore: Member[] = recorded.map((m) => ({ ...m, dead: m.name === 'prod-cp-2' }));
    expect(dutyHolder(nodes.slice(1), [], deadBefore).name).toBe('prod-cp-3');
  });
});
