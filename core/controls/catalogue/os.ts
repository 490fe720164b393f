/** OS and kernel layer: what Talos is told about the kernel, boot chain, disks and node network. */
import type { Control } from '../types';
import { firewallPaths } from '../../render/machine/firewall';

const ALL = ['single-team', 'multi-team', 'hostile-multi-tenant'] as const;

/** The control whose stacks must pin every node's maintenance certificate (core/config/validate.ts checks it). */
export const PINNED_FIRST_APPLY = 'os.provision.pinned-first-apply';
/** The host firewall's control (core/config/firewall-checks.ts needs every node's subnet where it runs). */
export const HOST_FIREWALL = 'os.network.host-firewall';

export const osControls: Control[] = [
  {
    id: PINNED_FIRST_APPLY,
    layer: 'os',
    title: 'First apply only to the node holding the pinned maintenance-mode certificate key',
    threat:
      'A node in maintenance mode proves nothing about itself: whoever answers at its address (a machine on the same segment, a spoofed ARP reply, a hijacked DHCP lease) receives its machine configuration over the unauthenticated maintenance API, and with it every CA key of the cluster.',
    references: { other: ['talosctl apply-config --cert-fingerprint (talosctl CLI reference, v1.13 and v1.14)', 'Talos: "The insecure flag", validating the node identity in --insecure mode'] },
    requiredBy: ['hostile-multi-tenant', 'edge'],
    // In existing-cluster mode Bulwark applies no machine configuration at all.
    appliesTo: (ctx) => !ctx.stack.existingCluster,
    contribute: () => ({
      notes: [
        "Each node's first apply runs talosctl apply-config --insecure --cert-fingerprint <bulwark:nodes[i].certFingerprint>: talosctl checks the maintenance certificate's key and sends nothing to any other machine. Validation refuses a node without a fingerprint.",
      ],
    }),
  },
  {
    id: 'os.kernel.kspp-sysctls',
    layer: 'os',
    title: 'Kernel self-protection sysctls beyond Talos\'s KSPP defaults: no kexec, no SysRq',
    threat: 'After a container escape, kexec replaces the running kernel, and SysRq reboots or dumps it.',
    references: { kspp: ['Recommended Settings: sysctls'], nsa: ['Kubernetes Pod security: Protecting Pod service account tokens / hardening container engines'] },
    requiredBy: [...ALL],
    contribute: () => ({
      machine: {
        sysctls: {
          // Talos's KSPP defaults already cover kptr_restrict, dmesg_restrict, perf_event_paranoid,
          // unprivileged BPF, ptrace_scope, userfaultfd and the fs.protected_* family (core/talos/defaults.ts).
          'kernel.kexec_load_disabled': '1',
          'kernel.sysrq': '0',
        },
      },
    }),
  },
  {
    id: 'os.kernel.kspp-boot-args',
    layer: 'os',
    title: 'Kernel boot arguments beyond Talos defaults: zero freed memory, shuffle pages, random kernel stack offset, no vsyscall, no debugfs',
    threat: 'Use-after-free and heap-spraying exploits rely on predictable, merged, non-zeroed kernel memory; debugfs and vsyscall add attack surface.',
    references: { kspp: ['Recommended Settings: kernel command line'] },
    requiredBy: ['multi-team', 'hostile-multi-tenant', 'edge'],
    contribute: () => ({
      machine: { kernelArgs: ['init_on_free=1', 'page_alloc.shuffle=1', 'randomize_kstack_offset=on', 'vsyscall=none', 'debugfs=off'] },
    }),
  },
  {
    id: 'os.kernel.no-io-uring',
    layer: 'os',
    title: 'io_uring disabled',
    threat: 'io_uring has been the source of a long run of kernel privilege escalations and bypasses seccomp filtering of the syscalls it performs.',
    references: { kspp: ['Recommended Settings: kernel.io_uring_disabled'] },
    requiredBy: ['hostile-multi-tenant'],
    contribute: () => ({ machine: { sysctls: { 'kernel.io_uring_disabled': '2' } } }),
  },
  {
    id: 'os.network.sysctls',
    layer: 'os',
    title: 'Node network stack: no redirects, no source routing, SYN cookies, martians logged',
    threat: 'ICMP redirects and source-routed packets let a neighbour on the node network reroute traffic; SYN floods exhaust connections.',
    references: { other: ['CIS Distribution Independent Linux 3.2'] },
    requiredBy: [...ALL],
    contribute: () => ({
      machine: {
        sysctls: {
          'net.ipv4.conf.all.accept_redirects': '0',
          'net.ipv4.conf.default.accept_redirects': '0',
          'net.ipv4.conf.all.secure_redirects': '0',
          'net.ipv4.conf.all.send_redirects': '0',
          'net.ipv4.conf.all.accept_source_route': '0',
          'net.ipv4.conf.default.accept_source_route': '0',
          'net.ipv6.conf.all.accept_redirects': '0',
          'net.ipv6.conf.default.accept_redirects': '0',
          'net.ipv4.tcp_syncookies': '1',
          'net.ipv4.conf.all.log_martians': '1',
        },
      },
    }),
  },
  {
    id: 'os.disk.tpm-encryption',
    layer: 'os',
    title: 'STATE and EPHEMERAL encrypted with a TPM-sealed key',
    threat: 'A disk pulled from an unattended node reveals machine secrets (STATE) and container data, logs and etcd (EPHEMERAL).',
    references: { nsa: ['Kubernetes Pod security: non-root containers and immutable file systems (data at rest)'], other: ['Talos disk encryption (TPM)'] },
    requiredBy: ['edge'],
    contribute: () => ({ machine: { diskEncryption: { volumes: ['STATE', 'EPHEMERAL'], key: 'tpm' } } }),
  },
  {
    id: 'os.boot.secureboot',
    layer: 'os',
    title: 'SecureBoot installer image (signed UKI)',
    threat: 'Someone with physical access replaces the kernel or boot arguments; the TPM key must only unseal for the signed boot chain.',
    references: { other: ['Talos SecureBoot', 'NIST SP 800-193'] },
    requiredBy: ['edge'],
    contribute: () => ({ machine: { secureboot: true } }),
  },
  {
    id: 'os.network.kubespan',
    layer: 'os',
    title: 'KubeSpan: node-to-node traffic in a WireGuard mesh',
    threat: 'Nodes on untrusted networks or behind NAT exchange pod and control traffic that others on the path can read or alter.',
    references: { nsa: ['Network separation and hardening'] },
    requiredBy: ['edge'],
    contribute: () => ({ machine: { kubespan: true } }),
  },
  {
    id: HOST_FIREWALL,
    layer: 'os',
    title: "Host firewall: ingress blocked but for the cluster's ports, from its own subnets and the admin networks",
    threat:
      'Every node serves apid, trustd, the kubelet, etcd and the API server on all its addresses: anyone who reaches the node network (a compromised machine beside it, a tenant workload on the host network, a visitor at an edge site) can probe and attack them with a stolen client certificate or the next authentication bypass. Blocking ingress by default leaves each port open only to the nodes, the pods that need it, and the declared admin networks.',
    references: {
      nsa: ['Network separation and hardening'],
      other: ['Talos guide: Ingress Firewall (NetworkDefaultActionConfig, NetworkRuleConfig), v1.13 and v1.14', 'Kubernetes documentation: Ports and Protocols'],
    },
    requiredBy: ['hostile-multi-tenant', 'edge'],
    appliesTo: (ctx) => !ctx.stack.existingCluster,
    contribute: (ctx) => ({
      machine: { hostFirewall: true },
      notes: [
        `Ingress is blocked by default; open: apid 50000 (nodes${ctx.stack.adminNetworks.length ? ', admin networks' : ''}), kubelet 10250 (nodes), on control planes trustd 50001 (nodes), the API server 6443 (nodes, pod subnets${ctx.stack.adminNetworks.length ? ', admin networks' : ''}), etcd 2379-2380 (control planes), and KubeSpan 51820/udp and the CNI's overlay where they run. Talos keeps loopback, KubeSpan's interface, pod-to-pod traffic and pods' DNS to the host open itself.`,
      ],
    }),
    ownsPaths: () => firewallPaths(),
  },
  {
    id: 'os.upgrade.conservative',
    layer: 'os',
    title: 'Conservative upgrades: one node at a time, long health gates',
    threat: 'A failed upgrade at a site nobody can reach in person takes the site down; several nodes failing at once loses quorum.',
    references: { other: ['Talos upgrades (talosctl upgrade --wait, talosctl health)'] },
    requiredBy: ['edge'],
    contribute: () => ({
      operations: { maxWorkerBatchSize: 1, minHealthTimeoutMinutes: 20 },
      notes: ['Upgrades go one node at a time (workers too), each gated on up to 20 minutes of health checks before the next node is touched.'],
    }),
  },
];
