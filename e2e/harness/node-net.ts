/**
 * The e2e nodes' network: one network namespace per node, each with an `eth0` veth whose other end is enslaved
 * to a bridge in the host namespace. The bridge holds the "site" subnet 198.18.0.0/24 (RFC 2544's benchmarking
 * range: never routed anywhere, and not one of the example stacks' 10.x addresses): the host end is 198.18.0.1,
 * where the API server and the registry are reachable (through forward.ts), node i is 198.18.0.(i+2).
 * Node-to-node and pod-to-pod traffic is switched on the bridge; the host namespace routes nothing (its
 * ip_forward stays as it is), so nothing in a node namespace reaches beyond the host's 198.18.0.1.
 * Pod subnets are routed between nodes like flannel's host-gw backend (a route per peer's podCIDR via the
 * peer's node address), since flannel itself would need its own image and the Kubernetes API from pods.
 */
import { run } from './proc';

export const SITE = { bridge: 'bwe2e0', hostIp: '198.18.0.1', prefix: 24 } as const;

export interface NodeNet { netns: string; veth: string; ip: string }

async function ip(args: string[], allowFail = false): Promise<string> {
  const r = await run('ip', args, { timeoutMs: 20_000 });
  if (r.code !== 0 && !allowFail) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function inNs(netns: string, bin: string, args: string[], allowFail = false): Promise<string> {
  const r = await run('ip', ['netns', 'exec', netns, bin, ...args], { timeoutMs: 20_000 });
  if (r.code !== 0 && !allowFail) throw new Error(`[${netns}] ${bin} ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

export const netnsPath = (netns: string) => `/run/netns/${netns}`;

/** Removes what an earlier (crashed) run may have left: the bridge and the e2e namespaces. */
export async function cleanSite(): Promise<void> {
  for (const ns of (await ip(['netns', 'list'], true)).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith('bwe2e-')))
    await ip(['netns', 'delete', ns], true);
  await ip(['link', 'delete', SITE.bridge], true);
}

export async function createSite(): Promise<void> {
  await cleanSite();
  await ip(['link', 'add', SITE.bridge, 'type', 'bridge']);
  await ip(['addr', 'add', `${SITE.hostIp}/${SITE.prefix}`, 'dev', SITE.bridge]);
  await ip(['link', 'set', SITE.bridge, 'up']);
}

/** Node `index` (0-based): namespace bwe2e-<index>, eth0 198.18.0.(index+2), default route via the host end. */
export async function addNodeNet(index: number): Promise<NodeNet> {
  const netns = `bwe2e-${index}`;
  const veth = `bwe2e-v${index}`;
  const nodeIp = `198.18.0.${index + 2}`;
  await ip(['netns', 'add', netns]);
  await ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  await ip(['link', 'set', veth, 'master', SITE.bridge]);
  await ip(['link', 'set', veth, 'up']);
  await inNs(netns, 'ip', ['link', 'set', 'lo', 'up']);
  await inNs(netns, 'ip', ['addr', 'add', `${nodeIp}/${SITE.prefix}`, 'dev', 'eth0']);
  await inNs(netns, 'ip', ['link', 'set', 'eth0', 'up']);
  await inNs(netns, 'ip', ['route', 'add', 'default', 'via', SITE.hostIp]);
  // per-namespace: pods are routed through the node, and bridged pod traffic passes kube-proxy's nftables
  await inNs(netns, 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  await inNs(netns, 'sysctl', ['-q', '-w', 'net.bridge.bridge-nf-call-iptables=1'], true);
  return { netns, veth, ip: nodeIp };
}

/** host-gw: in `from`'s namespace, the peer's pod subnet via the peer's node address. */
export async function routePodSubnet(from: NodeNet, podCidr: string, via: NodeNet): Promise<void> {
  await inNs(from.netns, 'ip', ['route', 'replace', podCidr, 'via', via.ip, 'dev', 'eth0']);
}

export async function removeSite(nodes: NodeNet[]): Promise<void> {
  for (const n of nodes) await ip(['netns', 'delete', n.netns], true);
  await ip(['link', 'delete', SITE.bridge], true);
}
