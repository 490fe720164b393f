/** Generated stacks for the benchmarks: N nodes (3 control planes, the rest workers) and T tenants. */
export function generatedStack(nodes: number, tenants: number, profile = 'multi-team'): Record<string, unknown> {
  const cps = Math.min(3, nodes);
  return {
    profile,
    cluster: {
      name: `bench-${nodes}`,
      endpoint: 'https://k8s.bench.example.com:6443',
      talosVersion: 'v1.14.1',
      kubernetesVersion: 'v1.36.3',
      contract: '1.14',
      podSubnets: ['10.244.0.0/16'],
      serviceSubnets: ['10.96.0.0/12'],
    },
    nodes: Array.from({ length: nodes }, (_, i) => ({
      name: `node-${String(i + 1).padStart(4, '0')}`,
      address: `172.16.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      role: i < cps ? 'controlplane' : 'worker',
      installDisk: '/dev/nvme0n1',
      ...(profile === 'hostile-multi-tenant' && i >= cps ? { sandbox: true } : {}),
      labels: { 'topology.kubernetes.io/zone': `zone-${i % 3}` },
    })),
    oidc: {
      issuers: [{ url: 'https://login.bench.example.com', audiences: ['bench'], claims: { username: { claim: 'email', prefix: 'oidc:' }, groups: { claim: 'groups', prefix: 'oidc:' } }, requiredClaims: { email_verified: 'true' } }],
      clientId: 'bench',
      platformAdminGroups: ['platform'],
      auditorGroups: ['auditors'],
    },
    tenants: Array.from({ length: tenants }, (_, i) => ({ name: `t-${String(i + 1).padStart(4, '0')}`, groups: [`group-${i + 1}`] })),
  };
}
