/**
 * The host firewall (control os.network.host-firewall) opens the cluster's ports to the nodes' own
 * subnets, so where it runs every node must say where it is: an IP address, or addresses in its network.
 */
import type { Control } from '../controls/types';
import { HOST_FIREWALL } from '../controls/catalogue/os';
import { nodeSubnets } from '../render/machine/firewall';
import type { Profile } from '../profiles/schema';
import type { NodeConfig, StackConfig } from './schema';

type Add = (path: PropertyKey[], message: string) => void;

export function checkFirewall(nodes: (NodeConfig | undefined)[], stack: Partial<StackConfig>, profile: Profile | undefined, catalogue: readonly Control[], add: Add): void {
  const control = catalogue.find((c) => c.id === HOST_FIREWALL);
  if (!control || !profile || stack.existingCluster) return;
  const required = control.requiredBy.some((p) => profile.lineage.includes(p)) || profile.require.includes(control.id);
  const waived = profile.waive.some((w) => w.control === control.id) || (stack.waivers ?? []).some((w) => w?.control === control.id);
  if (!required || waived) return;
  const full = { ...stack, nodes: nodes.filter((n): n is NodeConfig => !!n) } as StackConfig;
  nodes.forEach((n, i) => {
    if (n && !nodeSubnets(full, n))
      add(
        ['nodes', i, 'address'],
        `is the DNS name ${JSON.stringify(n.address)} and node ${n.name} declares no addresses in its network; profile ${profile.name} runs the host firewall (control ${HOST_FIREWALL}), which opens the cluster's ports to the nodes' subnets only. Give the node's IP address, or its addresses in bulwark:nodes[${i}].network, or waive the control with a reason`,
      );
  });
}
