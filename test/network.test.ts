/**
 * Node networking: the checks name the key path where the mistake was written (role or node), every
 * problem at once; the documents are what Talos reads (the judges in test/talos and test/talos-schema.test.ts
 * see the prod and edge-store stacks, which use bonds, VLANs and static addresses).
 */
import { parseAllDocuments } from 'yaml';

import { validateValues } from '../core/stack';
import { renderStack } from '../core/render/index';
import { configProblems, exampleValues, testSecrets, TODAY } from './helpers';
import { validate, absentJudges } from './talos/talosctl';

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const problems = (values: Values) => configProblems(values, { name: 'prod' });

const prod = (): Values => exampleValues('prod') as Values;

async function docsOf(values: Values, node: string): Promise<Record<string, any>[]> {
  const r = renderStack(validateValues('prod', values, { today: TODAY }), await testSecrets());
  return parseAllDocuments(r.nodes.find((n) => n.name === node)!.config).map((d) => d.toJS());
}

describe('network validation', () => {
  it('reports every mistake at once, each at the key path where it was written', () => {
    const v = prod();
    v.nodes[1].network.vlans[0].addresses = ['10.20.0.11/24']; // cp-1's address again
    v.nodes[2].network.vlans[0].gateway = '10.99.0.1'; // outside 10.20.0.0/24
    v.network.all.bonds[0].links = ['uplink0', 'uplink7']; // no such link
    v.nodes[3].network.vlans[1].addresses = ['10.20.0.99/24']; // same subnet as its VLAN 20
    v.nodes[4].network.vlans.push({ id: 40, parent: 'bond9' });
    const p = problems(v);
    const at = (path: string) => p.filter((x) => x.path === path).map((x) => x.message);
    expect(at('bulwark:nodes[1].network.vlans[0].addresses[0]')).toEqual([expect.stringMatching(/10\.20\.0\.11 is also an address of node prod-cp-1 \(bulwark:nodes\[0\]\.network\.vlans\[0\]\.addresses\[0\]\)/)]);
    expect(at('bulwark:nodes[2].network.vlans[0].gateway')).toEqual([expect.stringMatching(/10\.99\.0\.1 lies outside every subnet of bond0\.20 on node prod-cp-3 \(10\.20\.0\.13\/24\)/)]);
    // a role's mistake is reported once, not once per node
    expect(at('bulwark:network.all.bonds[0].links[1]')).toEqual([expect.stringMatching(/"uplink7" is not a link of node prod-cp-1.*known links uplink0, uplink1/)]);
    expect(at('bulwark:nodes[3].network.vlans[1].addresses[0]')).toEqual([expect.stringMatching(/overlaps 10\.20\.0\.21\/24/)]);
    expect(at('bulwark:nodes[4].network.vlans[2].parent')).toEqual([expect.stringMatching(/"bond9" is neither a link nor a bond of node prod-worker-2/)]);
    expect(p).toHaveLength(5);
  });

  it('refuses a VIP on a link the control planes do not have, or outside its subnet', () => {
    const v = prod();
    v.cluster.vip.link = 'eth0';
    expect(problems(v)).toEqual([
      expect.objectContaining({ path: 'bulwark:cluster.vip.link', message: expect.stringMatching(/"eth0" is not a link, bond or VLAN of control plane prod-cp-1 .*declares uplink0, uplink1, bond0, bond0\.20/) }),
      expect.objectContaining({ path: 'bulwark:cluster.vip.link', message: expect.stringMatching(/prod-cp-2/) }),
      expect.objectContaining({ path: 'bulwark:cluster.vip.link', message: expect.stringMatching(/prod-cp-3/) }),
    ]);
    const w = prod();
    w.cluster.vip.address = '10.30.0.10';
    expect(problems(w).map((x) => x.path + ': ' + x.message)).toContainEqual(expect.stringMatching(/^bulwark:cluster\.vip\.address: 10\.30\.0\.10 lies outside the subnets of bond0\.20 on control plane prod-cp-1/));
  });

  it('refuses addresses on a bond member, a member in two bonds, a node address in the pod subnet, and malformed values', () => {
    const v = prod();
    v.network.all.links[0].addresses = ['10.50.0.1/24'];
    v.network.all.bonds.push({ name: 'bond1', mode: 'active-backup', links: ['uplink1'] });
    v.nodes[5].network.vlans[1].addresses = ['10.244.1.5/24'];
    v.nodes[0].network.vlans[0].addresses = ['10.20.0.11'];
    v.nodes[0].network.mtu = 1500;
    const p = problems(v).map((x) => `${x.path}: ${x.message}`);
    expect(p).toEqual(expect.arrayContaining([
      expect.stringMatching(/^bulwark:network\.all\.links\[0\]\.addresses: uplink0 is a member of bond bond0; .*put them on bond0/),
      expect.stringMatching(/^bulwark:network\.all\.bonds\[1\]\.links\[0\]: "uplink1" is already a member of bulwark:network\.all\.bonds\[0\]\.links\[1\]/),
      expect.stringMatching(/^bulwark:nodes\[5\]\.network\.vlans\[1\]\.addresses\[0\]: 10\.244\.1\.5 lies inside the pod subnet 10\.244\.0\.0\/16/),
      expect.stringMatching(/^bulwark:nodes\[0\]\.network\.vlans\[0\]\.addresses\[0\]: "10\.20\.0\.11" is not an address with its prefix length/),
      expect.stringMatching(/^bulwark:nodes\[0\]\.network: has unknown key\(s\) "mtu"/),
    ]));
  });

  it('a shared network that does not parse is reported alone, not as every node\'s missing bond', () => {
    const v = prod();
    v.network.all.bonds[0].mtu = 100000;
    expect(problems(v)).toEqual([{ path: 'bulwark:network.all.bonds[0].mtu', message: expect.stringMatching(/above 9216/) }]);
  });

  it('the example stacks are valid as committed', () => {
    expect(problems(prod())).toEqual([]);
  });
});

describe('network rendering', () => {
  it('a role describes the bond by bus path, each node adds its VLAN address; the VIP rides on the VLAN', async () => {
    const docs = await docsOf(prod(), 'prod-cp-2');
    const kind = (k: string) => docs.filter((d) => d.kind === k);
    expect(kind('LinkAliasConfig')).toEqual([
      { apiVersion: 'v1alpha1', kind: 'LinkAliasConfig', name: 'uplink0', selector: { match: 'link.bus_path == "0000:3b:00.0"' } },
      { apiVersion: 'v1alpha1', kind: 'LinkAliasConfig', name: 'uplink1', selector: { match: 'link.bus_path == "0000:3b:00.1"' } },
    ]);
    expect(kind('LinkConfig')).toEqual([]); // bond members are the bond's
    expect(kind('BondConfig')[0]).toMatchObject({ name: 'bond0', links: ['uplink0', 'uplink1'], bondMode: '802.3ad', lacpRate: 'fast', mtu: 9000 });
    expect(kind('VLANConfig')).toEqual([
      { apiVersion: 'v1alpha1', kind: 'VLANConfig', name: 'bond0.20', vlanID: 20, parent: 'bond0', up: true, addresses: [{ address: '10.20.0.12/24' }], routes: [{ gateway: '10.20.0.1' }] },
    ]);
    expect(kind('Layer2VIPConfig')).toEqual([expect.objectContaining({ name: '10.20.0.10', link: 'bond0.20' })]);
    expect(kind('ResolverConfig')).toEqual([{ apiVersion: 'v1alpha1', kind: 'ResolverConfig', nameservers: [{ address: '10.20.0.53' }, { address: '10.20.0.54' }], searchDomains: { domains: ['prod.example.com'] } }]);
    expect(kind('TimeSyncConfig')).toEqual([{ apiVersion: 'v1alpha1', kind: 'TimeSyncConfig', enabled: true, ntp: { servers: ['10.20.0.123', '10.20.0.124'] } }]);
  });

  it.each(['1.14', '1.13'] as const)('contract %s: the node mac selects its only link; dhcp renders DHCPv4Config; a VLAN on a plain link', async (contract) => {
    const v = prod();
    v.cluster.talosVersion = contract === '1.14' ? 'v1.14.1' : 'v1.13.9';
    v.cluster.contract = contract;
    v.nodes[3].mac = '0c:c4:7a:00:00:21';
    v.nodes[3].network = { hostname: 'w1.prod.example.com', links: [{ name: 'lan0', dhcp: true, mtu: 1500 }], vlans: [{ id: 30, parent: 'lan0', addresses: ['10.30.0.21/24'], routes: [{ network: '10.31.0.0/16', gateway: '10.30.0.1', metric: 100 }] }] };
    delete v.network.all.links;
    delete v.network.all.bonds;
    v.nodes.forEach((n: Values, i: number) => i !== 3 && delete n.network);
    delete v.cluster.vip;
    const docs = await docsOf(v, 'prod-worker-1');
    // 1.14 keeps the host DNS cache in the one ResolverConfig (1.13 has it in machine.features)
    expect(docs.filter((d) => d.kind === 'ResolverConfig')).toEqual([
      expect.objectContaining({ nameservers: [{ address: '10.20.0.53' }, { address: '10.20.0.54' }], ...(contract === '1.14' ? { hostDNS: { enabled: true, forwardKubeDNSToHost: true } } : {}) }),
    ]);
    expect(docs.filter((d) => d.kind === 'VLANConfig')).toEqual([
      { apiVersion: 'v1alpha1', kind: 'VLANConfig', name: 'lan0.30', vlanID: 30, parent: 'lan0', up: true, addresses: [{ address: '10.30.0.21/24' }], routes: [{ destination: '10.31.0.0/16', gateway: '10.30.0.1', metric: 100 }] },
    ]);
    expect(docs.filter((d) => /^(LinkAlias|Link|DHCPv4|Hostname)Config$/.test(d.kind))).toEqual([
      { apiVersion: 'v1alpha1', kind: 'HostnameConfig', hostname: 'w1.prod.example.com' },
      { apiVersion: 'v1alpha1', kind: 'LinkAliasConfig', name: 'lan0', selector: { match: 'mac(link.permanent_addr) == "0c:c4:7a:00:00:21"' } },
      { apiVersion: 'v1alpha1', kind: 'LinkConfig', name: 'lan0', up: true, mtu: 1500 },
      { apiVersion: 'v1alpha1', kind: 'DHCPv4Config', name: 'lan0' },
    ]);
    if (!absentJudges.length) {
      const r = renderStack(validateValues('prod', v, { today: TODAY }), await testSecrets());
      const verdict = validate(contract, r.nodes.find((n) => n.name === 'prod-worker-1')!.config, 'metal', true);
      expect(verdict).toEqual({ ok: true, warnings: [], errors: [] });
    }
  });

  it('without bulwark:network a node renders no network document but its hostname', async () => {
    const v = exampleValues('lab') as Values;
    const r = renderStack(validateValues('lab', v, { today: TODAY }), await testSecrets());
    const kinds = parseAllDocuments(r.nodes[0].config).map((d) => d.toJS().kind);
    expect(kinds.filter((k) => /^(LinkAlias|Link|Bond|VLAN|DHCPv4|TimeSync)Config$/.test(k))).toEqual([]);
  });
});
