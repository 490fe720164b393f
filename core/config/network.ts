/**
 * Node networking as the stack declares it: per node (`bulwark:nodes[i].network`) and per role
 * (`bulwark:network.all | .controlplane | .worker`). A node's network is the role's with the node's laid
 * over it (mergeNetwork): lists of servers are replaced, links, bonds and VLANs are merged by name, so a
 * role can describe the bond and each node add its own address to it.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { quote } from './errors';
import { address, cidr, ipAddress, isHostname } from './fields';

/** A Linux interface name (IFNAMSIZ: at most 15 characters). */
export const linkName = z.string().regex(/^[a-z][a-z0-9_.-]{0,14}$/, {
  error: 'is not a link name; use at most 15 lower-case letters, digits, "_", "." or "-", starting with a letter (e.g. eth0, net0, bond0)',
});

/** A host address with its prefix length, as an interface carries it: 10.20.0.11/24. */
export const hostCidr = z.string().refine(
  (v) => {
    const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(v);
    if (!m || !isIP(m[1])) return false;
    const bits = Number(m[2]);
    return bits <= (isIP(m[1]) === 4 ? 32 : 128);
  },
  { error: (iss) => `${quote(iss.input)} is not an address with its prefix length; write e.g. 10.20.0.11/24 or fd00::11/64` },
);

const mac = z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, { error: 'is not a MAC address; write six lower-case hex pairs, e.g. 0c:c4:7a:12:34:56' });
const busPath = z.string().regex(/^[0-9a-z:._/-]+$/, { error: 'is not a bus path; write it as `talosctl get links -o yaml` shows busPath, e.g. 0000:01:00.0' });
const mtu = z.number().int().min(576, { error: 'is below 576, the smallest MTU IPv4 allows' }).max(9216, { error: 'is above 9216, more than any Ethernet NIC carries' });

const route = z.strictObject({
  /** Destination network; absent: the default route. */
  network: cidr.optional(),
  gateway: ipAddress,
  metric: z.number().int().min(0).max(4294967295).optional(),
});

/** What every link, bond and VLAN may carry. */
const addressing = {
  addresses: z.array(hostCidr).optional(),
  /** The default route's next hop; must lie inside one of the link's addresses' subnets. */
  gateway: ipAddress.optional(),
  routes: z.array(route).optional(),
  mtu: mtu.optional(),
  /** Run a DHCPv4 client on it (with or without static addresses). */
  dhcp: z.boolean().optional(),
};

export const linkSchema = z.strictObject({
  /** The kernel's name (eth0, enp1s0), or with mac/busPath an alias Bulwark gives the NIC it selects (net0). */
  name: linkName,
  mac: mac.optional(),
  busPath: busPath.optional(),
  ...addressing,
}).refine((l) => !(l.mac && l.busPath), { error: 'has both mac and busPath; select the NIC by one of them', path: ['busPath'] });

const BOND_MODES = ['balance-rr', 'active-backup', 'balance-xor', 'broadcast', '802.3ad', 'balance-tlb', 'balance-alb'] as const;

export const bondSchema = z.strictObject({
  name: linkName,
  mode: z.enum(BOND_MODES),
  /** Names of links in `links` (or kernel names) that the bond enslaves. */
  links: z.array(linkName).min(1, { error: 'is empty; a bond needs at least one member link' }),
  lacpRate: z.enum(['slow', 'fast']).optional(),
  xmitHashPolicy: z.enum(['layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4']).optional(),
  ...addressing,
});

export const vlanSchema = z.strictObject({
  /** Defaults to <parent>.<id>. */
  name: linkName.optional(),
  id: z.number().int().min(1).max(4094, { error: 'is not a VLAN id; use 1 to 4094' }),
  /** A link or bond of this node. */
  parent: linkName,
  ...addressing,
});

const searchDomain = z.string().refine(isHostname, { error: (iss) => `${quote(iss.input)} is not a DNS domain, e.g. corp.example.com` });

export const networkSchema = z.strictObject({
  /** The node's hostname; defaults to the node's name (a FQDN is allowed). */
  hostname: z.string().refine(isHostname, { error: (iss) => `${quote(iss.input)} is not a hostname, e.g. cp-1 or cp-1.dc1.example.com` }).optional(),
  nameservers: z.array(ipAddress).max(8).optional(),
  searchDomains: z.array(searchDomain).max(6).optional(),
  /** NTP servers (addresses or names); absent: Talos's default, time.cloudflare.com. */
  ntpServers: z.array(address).min(1).optional(),
  links: z.array(linkSchema).optional(),
  bonds: z.array(bondSchema).optional(),
  vlans: z.array(vlanSchema).optional(),
});

/** `bulwark:network`: what every node, or every node of a role, shares (addresses are per node). */
export const roleNetworkSchema = z.strictObject({
  all: networkSchema.optional(),
  controlplane: networkSchema.optional(),
  worker: networkSchema.optional(),
});

export type NetworkConfig = z.infer<typeof networkSchema>;
export type RoleNetworkConfig = z.infer<typeof roleNetworkSchema>;
export type LinkConfig = z.infer<typeof linkSchema>;
export type BondConfig = z.infer<typeof bondSchema>;
export type VlanConfig = z.infer<typeof vlanSchema>;

export const vlanName = (v: VlanConfig): string => v.name ?? `${v.parent}.${v.id}`;

/** A merged item, with where each of its fields was set (for key paths in messages). */
export type Located<T> = T & { at: Partial<Record<keyof T | '$', PropertyKey[]>> };

export interface NodeNetwork {
  hostname?: string;
  nameservers?: string[];
  searchDomains?: string[];
  ntpServers?: string[];
  links: Located<LinkConfig>[];
  bonds: Located<BondConfig>[];
  vlans: Located<Omit<VlanConfig, 'name'> & { name: string }>[];
  at: Partial<Record<'hostname' | 'nameservers' | 'searchDomains' | 'ntpServers', PropertyKey[]>>;
}

/** The layers, lowest first, each with the key path it comes from. */
export type NetworkLayer = { net: NetworkConfig; path: PropertyKey[] };

export function networkLayers(role: 'controlplane' | 'worker', shared: RoleNetworkConfig | undefined, node: NetworkConfig | undefined, nodeIndex: number): NetworkLayer[] {
  const layers: NetworkLayer[] = [];
  if (shared?.all) layers.push({ net: shared.all, path: ['network', 'all'] });
  if (shared?.[role]) layers.push({ net: shared[role]!, path: ['network', role] });
  if (node) layers.push({ net: node, path: ['nodes', nodeIndex, 'network'] });
  return layers;
}

export function mergeNetwork(layers: NetworkLayer[]): NodeNetwork {
  const out: NodeNetwork = { links: [], bonds: [], vlans: [], at: {} };
  for (const { net, path } of layers) {
    for (const k of ['hostname', 'nameservers', 'searchDomains', 'ntpServers'] as const)
      if (net[k] !== undefined) {
        (out as unknown as Record<string, unknown>)[k] = net[k];
        out.at[k] = [...path, k];
      }
    mergeByName(out.links, net.links, (l) => l.name, [...path, 'links']);
    mergeByName(out.bonds, net.bonds, (b) => b.name, [...path, 'bonds']);
    mergeByName(out.vlans, net.vlans?.map((v) => ({ ...v, name: vlanName(v) })), (v) => v.name, [...path, 'vlans']);
  }
  return out;
}

function mergeByName<T extends object>(into: Located<T>[], items: T[] | undefined, nameOf: (t: T) => string, path: PropertyKey[]): void {
  items?.forEach((item, i) => {
    let target = into.find((x) => nameOf(x) === nameOf(item));
    if (!target) into.push((target = { ...item, at: { $: [...path, i] } } as Located<T>));
    for (const [k, v] of Object.entries(item))
      if (v !== undefined) {
        (target as Record<string, unknown>)[k] = v;
        (target.at as Record<string, PropertyKey[]>)[k] = [...path, i, k];
      }
  });
}

/** Whether the network declares anything Talos would not do on its own. */
export const declaresLinks = (n: NodeNetwork): boolean => n.links.length + n.bonds.length + n.vlans.length > 0;

/** The subnet (network/prefix) of a host address: 10.20.0.11/24 → [10.20.0.11, 24]. */
export function parseHostCidr(v: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  return ipaddr.parseCIDR(v);
}

export function inSubnet(ip: string, hostAddr: string): boolean {
  try {
    const a = ipaddr.parse(ip);
    const [net, bits] = parseHostCidr(hostAddr);
    return a.kind() === net.kind() && a.match(net, bits);
  } catch {
    return false;
  }
}
