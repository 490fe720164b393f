/**
 * Cross-field rules of node networking, on each node's merged network (role + node): every problem
 * at once, at the key path where the offending value was written. A problem in a role's network is
 * reported once, however many nodes share it.
 */
import { isIP } from 'node:net';
import { keyPath, quote } from './errors';
import { overlaps } from './fields';
import { NodeNetwork, RoleNetworkConfig, declaresLinks, inSubnet, mergeNetwork, networkLayers } from './network';
import type { NodeConfig, StackConfig } from './schema';

type Add = (path: PropertyKey[], message: string) => void;

/** Each node's merged network (undefined where the node failed to parse). */
export function nodeNetworks(nodes: (NodeConfig | undefined)[], shared: RoleNetworkConfig | undefined): (NodeNetwork | undefined)[] {
  return nodes.map((n, i) => (n ? mergeNetwork(networkLayers(n.role, shared, n.network, i)) : undefined));
}

export function checkNetworks(stack: Partial<StackConfig>, nodes: (NodeConfig | undefined)[], addRaw: Add): void {
  const seen = new Set<string>();
  const nets = nodeNetworks(nodes, stack.network);
  const owners = new Map<string, { node: string; path: PropertyKey[] }>();
  nets.forEach((net, i) => {
    const node = nodes[i];
    if (!net || !node) return;
    // a mistake in a role's network shows on every node sharing it: reported once, naming the first
    const add: Add = (path, message) => {
      const key = `${keyPath(path)}\u0000${message.split(`node ${node.name}`).join('node *')}`;
      if (!seen.has(key)) (seen.add(key), addRaw(path, message));
    };
    checkNode(node, net, add);
    // the same address on two nodes, or on a node and the VIP
    for (const { addr, path } of addressesOf(net)) {
      const ip = addr.split('/')[0];
      const other = owners.get(ip);
      if (other && other.node !== node.name) add(path, `${ip} is also an address of node ${other.node} (${keyPath(other.path)}); every node needs its own address`);
      else owners.set(ip, { node: node.name, path });
      if (stack.cluster?.vip?.address === ip) add(path, `${ip} is the cluster VIP (bulwark:cluster.vip.address); the VIP must be an address no node holds statically`);
      for (const [what, list] of [['pod', stack.cluster?.podSubnets], ['service', stack.cluster?.serviceSubnets]] as const)
        for (const s of list ?? []) if (overlaps(s, ip)) add(path, `${ip} lies inside the ${what} subnet ${s}; node addresses must be outside pod and service subnets`);
    }
  });
  checkVip(stack, nodes, nets, addRaw);
  checkAirgap(stack, addRaw);
}

/** KubeSpan finds its peers through the discovery service; one registry has one mirror list. */
function checkAirgap(stack: Partial<StackConfig>, add: Add): void {
  if (stack.discovery && !stack.discovery.enabled && (stack.cluster?.kubespan || stack.site === 'edge'))
    add(['discovery', 'enabled'], `is false, but ${stack.site === 'edge' ? 'the edge overlay turns KubeSpan on' : 'bulwark:cluster.kubespan is true'}, and KubeSpan finds its peers through the discovery service; run a discovery service inside the site (bulwark:discovery.endpoint) instead`);
  const seen = new Map<string, number>();
  (stack.registries?.mirrors ?? []).forEach((m, i) => {
    if (seen.has(m.registry)) add(['registries', 'mirrors', i, 'registry'], `${quote(m.registry)} already has mirrors at bulwark:registries.mirrors[${seen.get(m.registry)}]; list all its endpoints there`);
    else seen.set(m.registry, i);
  });
}

type Item = { name: string; addresses?: string[]; gateway?: string; routes?: { gateway: string }[]; dhcp?: boolean; at: Partial<Record<string, PropertyKey[]>> };

function itemsOf(net: NodeNetwork): Item[] {
  return [...net.links, ...net.bonds, ...net.vlans] as Item[];
}

function addressesOf(net: NodeNetwork): { addr: string; item: Item; path: PropertyKey[] }[] {
  return itemsOf(net).flatMap((item) => (item.addresses ?? []).map((addr, j) => ({ addr, item, path: [...item.at.addresses!, j] })));
}

function checkNode(node: NodeConfig, net: NodeNetwork, add: Add): void {
  // one name, one link: a link, a bond and a VLAN share the kernel's namespace
  const names = new Map<string, PropertyKey[]>();
  for (const item of itemsOf(net)) {
    const path = item.at.$!;
    if (names.has(item.name)) add([...path, 'name'], `${quote(item.name)} is already the name of ${keyPath(names.get(item.name)!)}; links, bonds and VLANs of a node need distinct names`);
    else names.set(item.name, path);
  }
  const macs = new Map<string, PropertyKey[]>();
  for (const l of net.links) {
    const m = l.mac ?? l.busPath;
    if (!m) continue;
    const path = l.at.mac ?? l.at.busPath!;
    if (macs.has(m)) add(path, `${m} already selects ${keyPath(macs.get(m)!)}; each selector picks one NIC, so give each link its own`);
    else macs.set(m, path);
  }

  const addrs = addressesOf(net);
  for (let a = 0; a < addrs.length; a++)
    for (let b = a + 1; b < addrs.length; b++)
      if (overlaps(addrs[a].addr, addrs[b].addr))
        add(addrs[b].path, `${addrs[b].addr} overlaps ${addrs[a].addr} (${keyPath(addrs[a].path)}) on node ${node.name}; two links on one subnet make replies leave by either, so put each subnet on one link (a bond joins NICs)`);

  for (const item of itemsOf(net)) {
    const hops = [
      ...(item.gateway ? [{ gw: item.gateway, path: item.at.gateway! }] : []),
      ...(item.routes ?? []).map((r, j) => ({ gw: r.gateway, path: [...item.at.routes!, j, 'gateway'] })),
    ];
    for (const { gw, path } of hops) {
      if (!item.addresses?.length) {
        if (!item.dhcp) add(path, `${gw} is a next hop on ${item.name}, which has no address (and no dhcp) on node ${node.name}; give ${item.name} an address in the gateway's subnet`);
        continue;
      }
      if (!item.addresses.some((a) => inSubnet(gw, a)))
        add(path, `${gw} lies outside every subnet of ${item.name} on node ${node.name} (${item.addresses.join(', ')}); a gateway must be reachable on the link, e.g. the first address of ${item.addresses[0]}`);
    }
  }

  const members = new Map<string, PropertyKey[]>();
  net.bonds.forEach((bond) => {
    bond.links.forEach((member, j) => {
      const path = [...bond.at.links!, j];
      const link = net.links.find((l) => l.name === member);
      if (!link) {
        const known = net.links.map((l) => l.name);
        add(path, `${quote(member)} is not a link of node ${node.name}; a bond member must be declared in links (selected by mac or busPath, or named as the kernel names it)${known.length ? `: known links ${known.join(', ')}` : ''}`);
        return;
      }
      if (members.has(member)) add(path, `${quote(member)} is already a member of ${keyPath(members.get(member)!)}; a link joins one bond`);
      else members.set(member, path);
      if (link.addresses?.length || link.dhcp || link.gateway || link.routes?.length)
        add(link.at.addresses ?? link.at.dhcp ?? link.at.gateway ?? link.at.routes!, `${member} is a member of bond ${bond.name}; a bond member carries no address, route or DHCP of its own: put them on ${bond.name}`);
    });
  });
  for (const v of net.vlans) {
    if (!net.links.some((l) => l.name === v.parent) && !net.bonds.some((b) => b.name === v.parent))
      add(v.at.parent!, `${quote(v.parent)} is neither a link nor a bond of node ${node.name}; a VLAN sits on one declared in links or bonds`);
    else if (members.has(v.parent)) add(v.at.parent!, `${quote(v.parent)} is a bond member; put the VLAN on the bond instead`);
  }
}

/** The VIP moves between control planes: each must have the link it names, with an address in the VIP's subnet. */
function checkVip(stack: Partial<StackConfig>, nodes: (NodeConfig | undefined)[], nets: (NodeNetwork | undefined)[], add: Add): void {
  const vip = stack.cluster?.vip;
  if (!vip || !isIP(vip.address)) return;
  nodes.forEach((node, i) => {
    const net = nets[i];
    if (!node || !net || node.role !== 'controlplane' || !declaresLinks(net)) return;
    const item = itemsOf(net).find((x) => x.name === vip.link);
    if (!item) {
      add(['cluster', 'vip', 'link'], `${quote(vip.link)} is not a link, bond or VLAN of control plane ${node.name} (bulwark:nodes[${i}]), which declares ${itemsOf(net).map((x) => x.name).join(', ')}; name the link that carries the control planes' subnet`);
      return;
    }
    if (item.addresses?.length && !item.addresses.some((a) => inSubnet(vip.address, a)))
      add(['cluster', 'vip', 'address'], `${vip.address} lies outside the subnets of ${vip.link} on control plane ${node.name} (${item.addresses.join(', ')}); a layer-2 VIP must be in the subnet of the link that announces it`);
  });
}
