/**
 * The hostile and edge profiles send a node its configuration (every CA key of the cluster)
 * only after talosctl has checked the node's maintenance-mode certificate: a node without a
 * pinned fingerprint is a validation error naming the key path, unless the control is waived.
 */
import { configProblems, exampleValues } from './helpers';

const problems = (values: Record<string, unknown>) => configProblems(values);
const example = (name: string) => structuredClone(exampleValues(name)) as Record<string, any>;
const at = (list: { path: string }[], re: RegExp) => list.filter((p) => re.test(p.path)).map((p) => p.path);

describe('pinned first apply (os.provision.pinned-first-apply)', () => {
  it('hostile-multi-tenant: every node without certFingerprint is named, with what to do', () => {
    const v = example('saas');
    for (const n of v.nodes) delete n.certFingerprint;
    const list = problems(v);
    expect(at(list, /certFingerprint/)).toEqual(v.nodes.map((_: unknown, i: number) => `bulwark:nodes[${i}].certFingerprint`));
    const msg = list.find((p) => p.path === 'bulwark:nodes[0].certFingerprint')!.message;
    expect(msg).toMatch(/^is missing; profile hostile-multi-tenant sends a node its configuration \(with every CA key\) only after checking/);
    expect(msg).toMatch(/--cert-fingerprint/);
    expect(msg).toMatch(/or waive the control with a reason/);
  });

  it('edge: the overlay requires it too', () => {
    const v = example('edge-store');
    delete v.nodes[0].certFingerprint;
    expect(at(problems(v), /certFingerprint/)).toEqual(['bulwark:nodes[0].certFingerprint']);
  });

  it('a stack may waive it with a reason; single-team and multi-team do not require it', () => {
    const v = example('saas');
    for (const n of v.nodes) delete n.certFingerprint;
    v.waivers = [{ control: 'os.provision.pinned-first-apply', reason: 'nodes are provisioned on an isolated staging VLAN with no other hosts' }];
    expect(problems(v)).toEqual([]);
    expect(problems(example('lab'))).toEqual([]);
    expect(problems(example('prod'))).toEqual([]);
  });

  it('a malformed fingerprint is refused, with the expected form', () => {
    const v = example('lab');
    v.nodes[0].certFingerprint = 'ab:cd:ef';
    v.nodes[1].certFingerprint = "KvsfGEPW7NiMFLqtj7o0cVMXvkWeOUjLjctjgs2zqI4=' --insecure";
    const list = problems(v);
    expect(at(list, /certFingerprint/)).toEqual(['bulwark:nodes[0].certFingerprint', 'bulwark:nodes[1].certFingerprint']);
    expect(list[0].message).toMatch(/44-character base64 value ending in "="/);
  });
});
