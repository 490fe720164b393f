/**
 * Program level: stacks with valid but unusual values (IPv6 and DNS-name addresses, long
 * labels, group names with ':' '@' '/' '.') never reach a command string. The schema already
 * refuses shell metacharacters in names and addresses; arbitrary strings are covered at the
 * command-builder level (commands.test.ts).
 */
import fc from 'fast-check';
import { objectKey } from '../../core/render/k8s';
import { SCRIPTS } from '../../core/talos/commands';
import { runProgram } from './harness';

const FIXED = new Set<string>(Object.values(SCRIPTS));
const dnsLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const address = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })).map(([a, b]) => `192.168.${a}.${b}`),
  fc.integer({ min: 1, max: 0xffff }).map((n) => `fd00:10::${n.toString(16)}`),
  fc.tuple(dnsLabel, dnsLabel).map(([a, b]) => `n${a}.${b}.example.net`),
);
const group = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,30}$/).filter((g) => !g.startsWith('system:'));
const labelValue = fc.stringMatching(/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,20}[A-Za-z0-9])?$/);

const stack = fc
  .record({
    cluster: dnsLabel,
    cps: fc.constantFrom(1, 3),
    names: fc.uniqueArray(dnsLabel, { minLength: 5, maxLength: 8 }),
    addresses: fc.uniqueArray(address, { minLength: 5, maxLength: 8 }),
    tenants: fc.uniqueArray(dnsLabel.filter((t) => t !== 'default' && !t.startsWith('kube-')), { minLength: 1, maxLength: 4 }),
    groups: fc.uniqueArray(group, { minLength: 4, maxLength: 4 }),
    zone: labelValue,
    contract: fc.constantFrom('1.13', '1.14'),
  })
  .map((g) => {
    const count = Math.min(g.names.length, g.addresses.length);
    const nodes = Array.from({ length: count }, (_, i) => ({
      name: g.names[i],
      address: g.addresses[i],
      role: i < g.cps ? 'controlplane' : 'worker',
      installDisk: '/dev/nvme0n1',
      labels: { 'topology.kubernetes.io/zone': g.zone, 'example.com/rack_row': g.zone },
    }));
    return {
      profile: 'single-team',
      cluster: {
        name: g.cluster,
        endpoint: `https://api.${g.cluster}.example.net:6443`,
        talosVersion: g.contract === '1.13' ? 'v1.13.9' : 'v1.14.1',
        kubernetesVersion: 'v1.36.4',
        contract: g.contract,
      },
      nodes,
      oidc: {
        issuers: [{ url: 'https://login.example.net/realms/x', audiences: ['kube'], claims: { username: { claim: 'email', prefix: 'oidc:' }, groups: { claim: 'groups', prefix: 'oidc:' } } }],
        clientId: 'kube',
        platformAdminGroups: [`admins@${g.groups[0]}`],
      },
      tenants: g.tenants.map((t, i) => ({ name: t, groups: [`${g.groups[1 + (i % 3)]}/t${i}`] })),
    };
  });

test('for any valid stack, every command is a fixed script and every value it gets is in its environment, verbatim', async () => {
  await fc.assert(
    fc.asyncProperty(stack, async (values) => {
      const run = await runProgram(values, { stack: 'property' });
      expect(run.error).toBeUndefined();
      const addresses = new Set(values.nodes.map((n) => n.address));
      const cmds = run.registrations.filter((r) => r.type === 'command:local:Command');
      expect(cmds.length).toBeGreaterThan(values.nodes.length * 2);
      for (const c of cmds) {
        for (const k of ['create', 'update', 'delete']) if (c.raw[k] !== undefined) expect(FIXED.has(c.raw[k] as string)).toBe(true);
        const env = c.raw.environment as Record<string, string>;
        expect(Object.keys(env).every((k) => k.startsWith('BULWARK_'))).toBe(true);
        if (env.BULWARK_NODE) expect(addresses.has(env.BULWARK_NODE)).toBe(true);
        if (env.BULWARK_HEALTH_NODE) expect(addresses.has(env.BULWARK_HEALTH_NODE)).toBe(true);
      }
      for (const n of values.nodes) expect((run.byName.get(`${n.name}-apply`)!.raw.environment as Record<string, string>).BULWARK_NODE).toBe(n.address);
      // Kubernetes resource names stay kind/namespace/name, whatever the tenant and group names
      for (const r of run.registrations.filter((x) => x.type.startsWith('kubernetes:')))
        expect(r.name).toBe(objectKey(r.raw as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }));
    }),
    { numRuns: 8 },
  );
}, 300_000);
