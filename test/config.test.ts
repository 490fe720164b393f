/**
 * Bad input: rejected before anything is rendered, every problem at once, each naming the key
 * path (as `pulumi config set --path` spells it), what is wrong and what would be right.
 */
import { StackConfigError } from '../core/config/errors';
import { parseStackYaml } from '../core/config/load';
import { validateValues } from '../core/stack';
import { configProblems, exampleValues, TODAY } from './helpers';

const problems = (values: Record<string, unknown>, earlier: { path: string; message: string }[] = []) => configProblems(values, { earlier });

const lab = () => structuredClone(exampleValues('lab')) as Record<string, any>;
const prod = () => structuredClone(exampleValues('prod')) as Record<string, any>;

function expectProblem(list: { path: string; message: string }[], path: string, ...fragments: (string | RegExp)[]) {
  const hit = list.find((p) => p.path === path);
  if (!hit) throw new Error(`no problem at ${path}; got:\n${list.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
  for (const f of fragments) expect(hit.message).toMatch(f);
}

describe('the example stacks', () => {
  it.each(['lab', 'prod', 'saas', 'edge-store'])('%s is valid', (name) => {
    expect(problems(exampleValues(name))).toEqual([]);
  });
});

describe('bad input', () => {
  it('unknown profile lists the known ones', () => {
    const v = lab();
    v.profile = 'paranoid';
    expectProblem(problems(v), 'bulwark:profile', '"paranoid"', 'hostile-multi-tenant, multi-team, single-team');
  });

  it('unknown waiver id, waiver without a reason', () => {
    const v = prod();
    v.waivers = [{ control: 'k8s.apiserver.profiling', reason: 'we need pprof for a perf investigation' }, { control: 'k8s.audit.policy' }];
    const p = problems(v);
    expectProblem(p, 'bulwark:waivers[0].control', 'not a control id', 'k8s.apiserver.profiling-off');
    expectProblem(p, 'bulwark:waivers[1].reason', 'missing', 'reason');
  });

  it('no control-plane node; an even number unless explicitly allowed', () => {
    const v = lab();
    v.nodes = v.nodes.filter((n: any) => n.role === 'worker');
    expectProblem(problems(v), 'bulwark:nodes', 'no node with role controlplane');
    const w = prod();
    w.nodes = w.nodes.filter((n: any) => n.name !== 'prod-cp-3');
    expectProblem(problems(w), 'bulwark:nodes', '2 control-plane nodes', 'odd number', 'allowEvenControlPlanes');
    w.cluster.allowEvenControlPlanes = true;
    expect(problems(w)).toEqual([]);
  });

  it('duplicate node names or addresses; names that are not DNS labels; addresses that are neither IPs nor hostnames', () => {
    const v = prod();
    v.nodes[1].name = 'prod-cp-1';
    v.nodes[2].address = '10.20.0.11';
    v.nodes[3].name = 'Worker_1';
    v.nodes[4].address = '10.20.0.300';
    const p = problems(v);
    expectProblem(p, 'bulwark:nodes[1].name', 'already the name of bulwark:nodes[0]');
    expectProblem(p, 'bulwark:nodes[2].address', 'already the address of bulwark:nodes[0]');
    expectProblem(p, 'bulwark:nodes[3].name', '"Worker_1"', 'DNS label');
    expectProblem(p, 'bulwark:nodes[4].address', 'neither an IP address nor a hostname');
  });

  it('malformed or overlapping CIDRs: pod vs service vs node addresses', () => {
    const v = lab();
    v.cluster.podSubnets = ['10.96.0.0/16'];
    v.cluster.serviceSubnets = ['10.96.0.0/12', '10.300.0.0/16'];
    v.nodes[0].address = '10.96.1.5';
    const p = problems(v);
    expectProblem(p, 'bulwark:cluster.serviceSubnets[1]', 'not a CIDR', '10.244.0.0/16');
    const w = lab();
    w.cluster.podSubnets = ['10.96.0.0/16'];
    w.nodes[0].address = '10.96.1.5';
    const q = problems(w);
    expectProblem(q, 'bulwark:cluster.serviceSubnets[0]', 'overlaps the pod subnet 10.96.0.0/16');
    expectProblem(q, 'bulwark:nodes[0].address', 'inside the pod subnet');
    const x = lab();
    x.cluster.podSubnets = ['10.244.0.5/16'];
    expectProblem(problems(x), 'bulwark:cluster.podSubnets[0]', 'no host bits');
  });

  it('non-https endpoint', () => {
    const v = lab();
    v.cluster.endpoint = 'http://10.10.0.11:6443';
    expectProblem(problems(v), 'bulwark:cluster.endpoint', 'uses http', 'https://10.10.0.11:6443');
  });

  it('a Kubernetes version the chosen Talos version does not support', () => {
    const v = prod();
    v.cluster.kubernetesVersion = 'v1.37.1';
    expectProblem(problems(v), 'bulwark:cluster.kubernetesVersion', 'Talos 1.13 does not support', '1.31 to 1.36');
    const w = prod();
    w.cluster.talosVersion = 'v1.12.4';
    expectProblem(problems(w), 'bulwark:cluster.talosVersion', '1.13 and 1.14');
    const x = prod();
    x.cluster.contract = '1.14';
    expectProblem(problems(x), 'bulwark:cluster.contract', 'newer than Talos v1.13.9');
  });

  it('shell metacharacters where only a name or address fits', () => {
    const v = lab();
    v.nodes[0].name = 'cp;reboot';
    v.nodes[1].address = '$(curl evil)';
    v.cluster.name = 'lab`id`';
    v.nodes[0].installDisk = '/dev/sda; rm -rf /';
    const p = problems(v);
    expectProblem(p, 'bulwark:nodes[0].name', 'shell metacharacter');
    expectProblem(p, 'bulwark:nodes[1].address', 'shell metacharacter');
    expectProblem(p, 'bulwark:cluster.name', 'shell metacharacter');
    expectProblem(p, 'bulwark:nodes[0].installDisk', 'device path');
  });

  it('an encrypted secure: value where the renderer needs plain text', () => {
    const raw = parseStackYaml(
      'config:\n  bulwark:profile: single-team\n  bulwark:cluster:\n    name:\n      secure: AAABAKxyz\n  bulwark:existingCluster:\n    kubeconfig:\n      secure: AAABAFoo\n',
      't',
    );
    expect(raw.problems).toEqual([expect.objectContaining({ path: 'bulwark:cluster.name', message: expect.stringMatching(/encrypted `secure:` value.*plain text/) })]);
  });

  it('unknown top-level keys and unknown nested keys', () => {
    const v = lab();
    v.clusterr = {};
    v.nodes[0].rol = 'worker';
    const p = problems(v);
    expectProblem(p, 'bulwark:clusterr', 'not a Bulwark setting', 'bulwark:cluster');
    expectProblem(p, 'bulwark:nodes[0]', 'unknown key', '"rol"');
  });

  it('tenants: not DNS labels, duplicates, malformed quantities, dedicated nodes nobody carries, system: groups', () => {
    const v = prod();
    v.tenants = [
      { name: 'Team_A', groups: ['a'] },
      { name: 'team-b', groups: ['b'] },
      { name: 'team-b', groups: ['b2'] },
      { name: 'team-d', groups: ['system:masters'], quota: { 'requests.cpu': 'lots' }, dedicatedNodes: { pool: 'gpu' } },
    ];
    const p = problems(v);
    expectProblem(p, 'bulwark:tenants[0].name', 'DNS label');
    expectProblem(p, 'bulwark:tenants[2].name', 'already bulwark:tenants[1]');
    expectProblem(p, 'bulwark:tenants[3].quota["requests.cpu"]', 'not a Kubernetes quantity', '500m');
  });

  it('tenant cross-checks: dedicated nodes nobody carries, system: groups, no sandbox node under hostile', () => {
    const v = prod();
    v.tenants = [{ name: 'team-d', groups: ['system:masters'], dedicatedNodes: { pool: 'gpu' } }];
    const p = problems(v);
    expectProblem(p, 'bulwark:tenants[0].groups[0]', 'begins with system:');
    expectProblem(p, 'bulwark:tenants[0].dedicatedNodes', 'pool=gpu', 'no node');
    const s = structuredClone(exampleValues('saas')) as Record<string, any>;
    for (const n of s.nodes) delete n.sandbox;
    expectProblem(problems(s), 'bulwark:nodes', 'no sandbox-capable node', 'gvisor');
  });

  it('every problem of a stack at once, across sections', () => {
    const v = prod();
    v.profile = 'nope';
    v.cluster.endpoint = 'http://x';
    v.nodes[0].name = 'BAD';
    v.tenants[0].name = 'kube-tenant';
    v.waivers = [{ control: 'no.such.control', reason: 'because it is a test of many problems' }];
    const p = problems(v);
    expect(p.map((x) => x.path)).toEqual(
      expect.arrayContaining(['bulwark:profile', 'bulwark:cluster.endpoint', 'bulwark:nodes[0].name', 'bulwark:tenants[0].name', 'bulwark:waivers[0].control']),
    );
  });

  it('formats the error as one message per line, no stack trace', () => {
    const v = lab();
    v.profile = 'nope';
    try {
      validateValues('lab', v, { today: TODAY });
      throw new Error('expected a StackConfigError');
    } catch (e) {
      expect(e).toBeInstanceOf(StackConfigError);
      expect((e as Error).message).toMatch(/^stack "lab" is invalid \(1 problem\):\n  - bulwark:profile: is "nope"/);
      expect((e as Error).message).not.toMatch(/\bat .*\.ts:\d+/);
    }
  });
});

describe('waivers', () => {
  it('an expired waiver fails, naming it', () => {
    const v = prod();
    v.waivers = [{ control: 'k8s.apiserver.always-pull-images', reason: 'registry mirror outage, tracked in OPS-1234', expires: '2026-11-01' }];
    expectProblem(problems(v), 'bulwark:waivers[0].expires', 'k8s.apiserver.always-pull-images', 'expired on 2026-11-01');
    v.waivers[0].expires = '2027-01-31';
    expect(problems(v)).toEqual([]);
  });

  it('waiving a control the profile does not require is refused', () => {
    const v = lab();
    v.waivers = [{ control: 'runtime.sandbox.runtime-class', reason: 'nothing to waive here at all' }];
    expectProblem(problems(v), 'bulwark:waivers[0].control', 'not required by profile single-team');
  });
});
