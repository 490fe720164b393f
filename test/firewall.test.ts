/**
 * The host firewall (os.network.host-firewall, hostile-multi-tenant and edge): Talos's NetworkDefaultActionConfig
 * and NetworkRuleConfig documents, judged by talosctl validate --strict of both lines (and by the schema test of
 * every example, test/talos-schema.test.ts); open only to the cluster's subnets and the admin networks.
 */
import { parseAllDocuments } from 'yaml';
import { StackConfigError } from '../core/config/errors';
import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import { TODAY, configProblems, exampleValues, testSecrets } from './helpers';
import { absentJudges, validate } from './talos/talosctl';

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function values(name: string, contract: '1.13' | '1.14'): Values {
  const v = exampleValues(name) as Values;
  v.cluster.contract = contract;
  v.cluster.talosVersion = contract === '1.13' ? 'v1.13.9' : 'v1.14.1';
  // contract 1.13 cannot encrypt ConfigMaps (core/config/validate.ts): the variant takes the waiver, as in test/talos/variants.ts
  if (contract === '1.13' && name === 'saas') v.waivers = [...(v.waivers ?? []), { control: 'k8s.etcd.encryption-configmaps', reason: 'contract 1.13 variant: Talos 1.13 encrypts Secrets only' }];
  v.adminNetworks = ['10.99.0.0/24'];
  return v;
}

async function render(name: string, v: Values) {
  return renderStack(validateValues(name, v, { today: TODAY }), await testSecrets());
}

const firewall = (config: string) =>
  parseAllDocuments(config).map((d) => d.toJS()).filter((d) => d.kind === 'NetworkDefaultActionConfig' || d.kind === 'NetworkRuleConfig');
const rules = (config: string) => Object.fromEntries(firewall(config).filter((d) => d.kind === 'NetworkRuleConfig').map((d) => [d.name, `${d.portSelector.ports.join(',')}/${d.portSelector.protocol} from ${d.ingress.map((x: { subnet: string }) => x.subnet).join(' ')}`]));

describe('host firewall', () => {
  it('hostile-multi-tenant: ingress blocked, each port open to the nodes, the pods that need it and the admin networks only', async () => {
    const r = await render('saas', values('saas', '1.14'));
    const cp = r.nodes.find((n) => n.role === 'controlplane')!.config;
    const worker = r.nodes.find((n) => n.role === 'worker')!.config;
    expect(firewall(cp)[0]).toEqual({ apiVersion: 'v1alpha1', kind: 'NetworkDefaultActionConfig', ingress: 'block' });
    const nodes = '10.30.0.11/32 10.30.0.12/32 10.30.0.13/32 10.30.0.21/32 10.30.0.22/32 10.30.0.31/32';
    expect(rules(cp)).toEqual({
      'bulwark-apid': `50000/tcp from ${nodes} 10.99.0.0/24`,
      'bulwark-kubelet': `10250/tcp from ${nodes}`,
      'bulwark-trustd': `50001/tcp from ${nodes}`,
      'bulwark-kube-apiserver': `6443/tcp from 10.244.0.0/16 ${nodes} 10.99.0.0/24`,
      'bulwark-etcd': '2379-2380/tcp from 10.30.0.11/32 10.30.0.12/32 10.30.0.13/32',
      'bulwark-cni-vxlan': `4789/udp from ${nodes}`,
    });
    expect(Object.keys(rules(worker))).toEqual(['bulwark-apid', 'bulwark-kubelet', 'bulwark-cni-vxlan']);
    expect(r.posture.controls.find((c) => c.id === 'os.network.host-firewall')!.status).toBe('enforced');
  });

  it('edge: the subnets of the declared addresses, and KubeSpan', async () => {
    const r = await render('edge-store', values('edge-store', '1.14'));
    expect(rules(r.nodes[0].config)['bulwark-kubespan']).toBe('51820/udp from 10.40.0.0/24');
    expect(rules(r.nodes[0].config)['bulwark-kubelet']).toBe('10250/tcp from 10.40.0.0/24');
  });

  it('single-team and multi-team stacks get no firewall (not required)', async () => {
    const r = await render('lab', values('lab', '1.14'));
    expect(firewall(r.nodes[0].config)).toEqual([]);
    expect(r.posture.controls.find((c) => c.id === 'os.network.host-firewall')!.status).toBe('not-required');
  });

  it('refuses a malformed admin network, and a node the firewall cannot place (a DNS name, no addresses)', () => {
    const v = values('saas', '1.14');
    v.adminNetworks = ['10.99.0.0/33'];
    v.nodes[3].address = 'saas-worker-1.example.com';
    expect(configProblems(v, { name: 'saas' })).toEqual([
      { path: 'bulwark:adminNetworks[0]', message: expect.any(String) },
      { path: 'bulwark:nodes[3].address', message: expect.stringMatching(/is the DNS name "saas-worker-1\.example\.com" and node saas-sandbox-1 declares no addresses.*os\.network\.host-firewall/) },
    ]);
  });

  it('a patch opening another port undoes the control: refused where the profile forbids it', async () => {
    const v = values('saas', '1.14');
    v.patches = { worker: [{ apiVersion: 'v1alpha1', kind: 'NetworkRuleConfig', name: 'ssh-ish', portSelector: { ports: [2222], protocol: 'tcp' }, ingress: [{ subnet: '0.0.0.0/0' }] }] };
    await expect(render('saas', v)).rejects.toThrow(StackConfigError);
    await expect(render('saas', v)).rejects.toThrow(/bulwark:patches\.worker\[0\]: changes NetworkRuleConfig\/\* .*os\.network\.host-firewall owns/);
  });

  (absentJudges.length ? it.skip : it).each([
    ['saas', '1.13'], ['saas', '1.14'], ['edge-store', '1.13'], ['edge-store', '1.14'],
  ] as const)('talosctl validate --strict: %s, contract %s', async (name, contract) => {
    const r = await render(name, values(name, contract));
    for (const n of r.nodes) {
      expect(firewall(n.config).length).toBeGreaterThan(3);
      expect(validate(contract, n.config, 'metal', true)).toEqual({ ok: true, warnings: [], errors: [] });
    }
  });
});
