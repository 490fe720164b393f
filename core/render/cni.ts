/**
 * Cilium as the program installs it for `cluster.cni: cilium`: Talos deploys no CNI
 * (cni: none), and the chart goes in with the values Talos documents for it ("Deploying
 * Cilium CNI", with kube-proxy): IPAM from Kubernetes, Talos's own cgroup v2 and bpffs mounts,
 * and the agent's capability set without SYS_MODULE, which Talos does not grant workloads.
 */
import type { StackConfig } from '../config/schema';

/** Pinned; a new version is a reviewed change to this line. */
export const CILIUM_CHART = { repo: 'https://helm.cilium.io', chart: 'cilium', version: '1.19.1', namespace: 'kube-system' } as const;

export function ciliumValues(stack: StackConfig): Record<string, unknown> {
  return {
    ipam: { mode: 'kubernetes' },
    kubeProxyReplacement: false,
    securityContext: {
      capabilities: {
        ciliumAgent: ['CHOWN', 'KILL', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'SYS_ADMIN', 'SYS_RESOURCE', 'DAC_OVERRIDE', 'FOWNER', 'SETGID', 'SETUID'],
        cleanCiliumState: ['NET_ADMIN', 'SYS_ADMIN', 'SYS_RESOURCE'],
      },
    },
    cgroup: { autoMount: { enabled: false }, hostRoot: '/sys/fs/cgroup' },
    // Through KubePrism (Talos's on-node API load balancer, port 7445, always rendered), so the
    // agent reaches the API server before any Service routing exists.
    k8sServiceHost: 'localhost',
    k8sServicePort: 7445,
    cluster: { name: stack.cluster.name },
  };
}

/** The Helm release when the program installs a CNI, else undefined (flannel comes from Talos; none is yours). */
export function cniRelease(stack: StackConfig): { chart: typeof CILIUM_CHART; values: Record<string, unknown> } | undefined {
  if (stack.existingCluster || stack.cluster.cni !== 'cilium') return undefined;
  return { chart: CILIUM_CHART, values: ciliumValues(stack) };
}
