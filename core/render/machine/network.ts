/**
 * A node's network as Talos documents (the same kinds in contracts 1.13 and 1.14; the 1.13 schema has no
 * `machine.network` any more): LinkAliasConfig names a NIC chosen by MAC or bus path, then LinkConfig,
 * BondConfig, VLANConfig, DHCPv4Config, ResolverConfig, TimeSyncConfig and HostnameConfig.
 */
import type { BondConfig, LinkConfig, Located, NodeNetwork } from '../../config/network';
import { mergeNetwork, networkLayers } from '../../config/network';
import type { MachineInputs } from './inputs';

const doc = (kind: string, body: Record<string, unknown>) => ({ apiVersion: 'v1alpha1', kind, ...body });

export function nodeNetwork(i: MachineInputs): NodeNetwork {
  return mergeNetwork(networkLayers(i.node.role, i.stack.network, i.node.network, i.stack.nodes.indexOf(i.node)));
}

/** The node's one declared link, selected by `bulwark:nodes[i].mac` when it names no selector itself. */
function selectorOf(l: LinkConfig, net: NodeNetwork, nodeMac: string | undefined): string | undefined {
  // permanent_addr: a bond member's hardware_addr becomes the bond's, its permanent address stays
  if (l.mac) return `mac(link.permanent_addr) == ${JSON.stringify(l.mac)}`;
  if (l.busPath) return `link.bus_path == ${JSON.stringify(l.busPath)}`;
  if (nodeMac && net.links.length === 1) return `mac(link.permanent_addr) == ${JSON.stringify(nodeMac)}`;
  return undefined;
}

type Addressing = Pick<LinkConfig, 'addresses' | 'gateway' | 'routes' | 'mtu'>;

function addressing(x: Addressing): Record<string, unknown> {
  const routes = [
    ...(x.gateway ? [{ gateway: x.gateway }] : []),
    ...(x.routes ?? []).map((r) => ({ ...(r.network ? { destination: r.network } : {}), gateway: r.gateway, ...(r.metric !== undefined ? { metric: r.metric } : {}) })),
  ];
  return {
    up: true,
    ...(x.mtu ? { mtu: x.mtu } : {}),
    ...(x.addresses?.length ? { addresses: x.addresses.map((address) => ({ address })) } : {}),
    ...(routes.length ? { routes } : {}),
  };
}

function bondDoc(b: Located<BondConfig>): Record<string, unknown> {
  return doc('BondConfig', {
    name: b.name,
    links: b.links,
    bondMode: b.mode,
    // link monitoring every 100 ms (Talos's documented example); without it a dead member keeps its share of traffic.
    // A member is taken in or out after two checks agree (talosctl warns on an 802.3ad bond without the delays).
    miimon: 100,
    updelay: 200,
    downdelay: 200,
    ...(b.lacpRate ? { lacpRate: b.lacpRate } : {}),
    ...(b.xmitHashPolicy ? { xmitHashPolicy: b.xmitHashPolicy } : {}),
    ...addressing(b),
  });
}

export function hostnameOf(i: MachineInputs): string {
  return nodeNetwork(i).hostname ?? i.node.name;
}

/** The ResolverConfig: nameservers and search domains, and (contract 1.14 only) the host DNS cache. */
export function resolverDoc(i: MachineInputs, hostDNS: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const net = nodeNetwork(i);
  const body: Record<string, unknown> = {
    ...(net.nameservers?.length ? { nameservers: net.nameservers.map((address) => ({ address })) } : {}),
    ...(net.searchDomains?.length ? { searchDomains: { domains: net.searchDomains } } : {}),
    ...(hostDNS ? { hostDNS } : {}),
  };
  return Object.keys(body).length ? doc('ResolverConfig', body) : undefined;
}

/** Links, bonds, VLANs, DHCP and time servers (resolver and hostname are placed by each contract's emitter). */
export function networkDocs(i: MachineInputs): Record<string, unknown>[] {
  const net = nodeNetwork(i);
  const docs: Record<string, unknown>[] = [];
  const members = new Set(net.bonds.flatMap((b) => b.links));
  for (const l of net.links) {
    const match = selectorOf(l, net, i.node.mac);
    if (match) docs.push(doc('LinkAliasConfig', { name: l.name, selector: { match } }));
  }
  // a bond member is configured by its bond; it gets no LinkConfig of its own
  for (const l of net.links) if (!members.has(l.name)) docs.push(doc('LinkConfig', { name: l.name, ...addressing(l) }));
  for (const b of net.bonds) docs.push(bondDoc(b));
  for (const v of net.vlans) docs.push(doc('VLANConfig', { name: v.name, vlanID: v.id, parent: v.parent, ...addressing(v) }));
  for (const x of [...net.links, ...net.bonds, ...net.vlans]) if (x.dhcp) docs.push(doc('DHCPv4Config', { name: x.name }));
  if (net.ntpServers) docs.push(doc('TimeSyncConfig', { enabled: true, ntp: { servers: net.ntpServers } }));
  return docs;
}
