/**
 * Talos's host firewall (the same NetworkDefaultActionConfig and NetworkRuleConfig documents in contracts
 * 1.13 and 1.14): ingress blocked by default, and one rule per port Talos and Kubernetes serve, open only
 * to the cluster's own subnets and the stack's admin networks (`bulwark:adminNetworks`), as Talos's
 * ingress-firewall guide lays them out. Talos itself keeps accepting loopback, the KubeSpan interface,
 * established connections, rate-limited ICMP, pod/service-to-pod/service traffic and pods' DNS to the
 * host (internal/app/machined/pkg/controllers/network/nftables_chain_config.go), so those need no rule.
 */
import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';
import { mergeNetwork, networkLayers, parseHostCidr } from '../../config/network';
import type { NodeConfig, StackConfig } from '../../config/schema';
import type { ConfigPath } from '../../controls/types';

const doc = (kind: string, body: Record<string, unknown>) => ({ apiVersion: 'v1alpha1', kind, ...body });

/** The subnet a host address with prefix lies in: 10.20.0.11/24 → 10.20.0.0/24. */
function subnetOf(hostCidr: string): string {
  const [ip, bits] = parseHostCidr(hostCidr);
  const net = ip.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(hostCidr) : ipaddr.IPv6.networkAddressFromCIDR(hostCidr);
  return `${net.toString()}/${bits}`;
}

/** Every subnet a node's declared addresses lie in, else its own address as a host route; undefined for a DNS name without either. */
export function nodeSubnets(stack: StackConfig, node: NodeConfig): string[] | undefined {
  const net = mergeNetwork(networkLayers(node.role, stack.network, node.network, stack.nodes.indexOf(node)));
  const declared = [...net.links, ...net.bonds, ...net.vlans].flatMap((l) => l.addresses ?? []).map(subnetOf);
  if (declared.length) return declared;
  const v = isIP(node.address);
  return v ? [`${node.address}/${v === 4 ? 32 : 128}`] : undefined;
}

const unique = (xs: string[]) => [...new Set(xs)].sort();

/** The subnets of every node (or of the control planes), as rule sources. */
function clusterSubnets(stack: StackConfig, role?: 'controlplane'): string[] {
  return unique(stack.nodes.filter((n) => !role || n.role === role).flatMap((n) => nodeSubnets(stack, n) ?? []));
}

interface Rule {
  name: string;
  ports: (number | string)[];
  protocol: 'tcp' | 'udp';
  from: string[];
}

/** The rules a node of this role gets (names are stable: a patch or a diff can name them). */
export function firewallRules(stack: StackConfig, role: NodeConfig['role'], kubespan: boolean): Rule[] {
  const nodes = clusterSubnets(stack);
  const controlPlanes = clusterSubnets(stack, 'controlplane');
  const admin = stack.adminNetworks ?? [];
  const cp = role === 'controlplane';
  const rules: Rule[] = [
    // talosctl from the admins' networks; the nodes' apid proxies to one another
    { name: 'bulwark-apid', ports: [50000], protocol: 'tcp', from: unique([...nodes, ...admin]) },
    // the API server and the control plane reach the kubelet
    { name: 'bulwark-kubelet', ports: [10250], protocol: 'tcp', from: nodes },
  ];
  if (cp)
    rules.push(
      { name: 'bulwark-trustd', ports: [50001], protocol: 'tcp', from: nodes },
      // pods reach the API server through the kubernetes Service, with their own addresses as source
      { name: 'bulwark-kube-apiserver', ports: [6443], protocol: 'tcp', from: unique([...nodes, ...stack.cluster.podSubnets, ...admin]) },
      { name: 'bulwark-etcd', ports: ['2379-2380'], protocol: 'tcp', from: controlPlanes },
    );
  if (kubespan) rules.push({ name: 'bulwark-kubespan', ports: [51820], protocol: 'udp', from: nodes });
  // the CNI's overlay between nodes (flannel's VXLAN; Cilium's VXLAN and health checks)
  if (stack.cluster.cni === 'flannel') rules.push({ name: 'bulwark-cni-vxlan', ports: [4789], protocol: 'udp', from: nodes });
  if (stack.cluster.cni === 'cilium')
    rules.push({ name: 'bulwark-cni-vxlan', ports: [8472], protocol: 'udp', from: nodes }, { name: 'bulwark-cni-health', ports: [4240], protocol: 'tcp', from: nodes });
  return rules;
}

export function firewallDocs(stack: StackConfig, node: NodeConfig, kubespan: boolean): Record<string, unknown>[] {
  return [
    doc('NetworkDefaultActionConfig', { ingress: 'block' }),
    ...firewallRules(stack, node.role, kubespan).map((r) =>
      doc('NetworkRuleConfig', { name: r.name, portSelector: { ports: r.ports, protocol: r.protocol }, ingress: r.from.map((subnet) => ({ subnet })) }),
    ),
  ];
}

/** What the firewall control owns in a node's config: the default action, and every rule document (a patch adding one opens a port). */
export function firewallPaths(): ConfigPath[] {
  return [{ doc: 'NetworkDefaultActionConfig', path: [] }, { doc: 'NetworkRuleConfig/*', path: [] }];
}
