/** Kubernetes layer, node side: the kubelet's KubeletConfiguration. */
import type { Control } from '../types';

const ALL = ['single-team', 'multi-team', 'hostile-multi-tenant'] as const;

export const kubeletControls: Control[] = [
  {
    id: 'k8s.kubelet.authn-authz',
    layer: 'kubernetes',
    title: 'Kubelet: no anonymous access, webhook authentication and authorization, no read-only port',
    threat: 'The kubelet API runs commands in any pod on the node; anonymous or unauthorised access to it is node takeover.',
    references: { cis: ['4.2.1', '4.2.2', '4.2.3', '4.2.4'], nsa: ['Kubernetes authentication and authorization'] },
    requiredBy: [...ALL],
    contribute: () => ({
      machine: { kubelet: { readOnlyPort: 0 } },
      talosProvides: ['kubelet authentication.anonymous.enabled=false', 'kubelet authentication.webhook.enabled=true', 'kubelet authorization.mode=Webhook', 'kubelet authentication.x509.clientCAFile'],
    }),
  },
  {
    id: 'k8s.kubelet.tls',
    layer: 'kubernetes',
    title: 'Kubelet: TLS 1.3 only (Talos\'s default, kept)',
    threat: 'Weak TLS on the kubelet port lets an on-path attacker read exec and log streams.',
    references: { cis: ['4.2.12'] },
    requiredBy: [...ALL],
    // Talos's kubelet configuration already accepts TLS 1.3 only; Go fixes the TLS 1.3 suites (all
    // AEAD with forward secrecy), so a tlsCipherSuites list would only narrow TLS 1.2, which is
    // refused anyway (and Talos 1.13 merges such a list into its own). Nothing to set: setting
    // tlsMinVersion would only ever weaken the default.
    contribute: () => ({ talosProvides: ['kubelet tlsMinVersion=VersionTLS13'] }),
  },
  {
    id: 'k8s.kubelet.certificate-rotation',
    layer: 'kubernetes',
    title: 'Kubelet: client certificate rotation',
    threat: 'A long-lived kubelet client certificate stolen from a node keeps working until it expires.',
    references: { cis: ['4.2.10'] },
    requiredBy: [...ALL],
    contribute: () => ({ talosProvides: ['kubelet rotateCertificates=true'] }),
  },
  {
    id: 'k8s.kubelet.serving-certificates',
    layer: 'kubernetes',
    title: 'Kubelet: serving certificates from the cluster CA (server TLS bootstrap, rotated)',
    threat: 'Self-signed kubelet serving certificates cannot be verified, so the API server cannot tell a real kubelet from an impostor.',
    references: { cis: ['4.2.11', '1.2.5'] },
    requiredBy: [...ALL],
    contribute: () => ({
      machine: { kubelet: { serverTLSBootstrap: true }, kubeletArgs: { 'rotate-server-certificates': 'true' } },
      notes: [
        'Kubelet serving certificates are requested as CSRs (signer kubernetes.io/kubelet-serving). Kubernetes never approves these itself: ' +
          'run an approver that checks the CSR against the requesting node (e.g. alex1989hu/kubelet-serving-cert-approver, or approve with ' +
          '`kubectl certificate approve` after checking). Until approved, `kubectl logs/exec` to that node fail, which is the safe failure.',
      ],
    }),
  },
  {
    id: 'k8s.kubelet.protect-kernel-defaults',
    layer: 'kubernetes',
    title: 'Kubelet: protect kernel defaults, iptables util chains, streaming idle timeout',
    threat: 'A kubelet that silently changes kernel tunables undoes OS hardening; idle exec streams stay open for hijacking.',
    references: { cis: ['4.2.5', '4.2.6'] },
    requiredBy: [...ALL],
    contribute: () => ({
      machine: { kubelet: { makeIPTablesUtilChains: true, streamingConnectionIdleTimeout: '5m0s' } },
      talosProvides: ['kubelet protectKernelDefaults=true'],
    }),
  },
  {
    id: 'k8s.kubelet.pod-pids-limit',
    layer: 'kubernetes',
    title: 'Kubelet: PID limit per pod',
    threat: 'A fork bomb in one pod exhausts the node\'s PIDs and takes down every other pod and the kubelet with it.',
    references: { cis: ['4.2.13'] },
    requiredBy: [...ALL],
    contribute: (ctx) => ({ machine: { kubelet: { podPidsLimit: ctx.profile.settings.podPidsLimit } } }),
  },
  {
    id: 'k8s.kubelet.event-qps',
    layer: 'kubernetes',
    title: 'Kubelet: event record QPS bounded but non-zero',
    threat: 'Unbounded events flood etcd; zero drops the evidence of what happened on the node.',
    references: { cis: ['4.2.8'] },
    requiredBy: [...ALL],
    contribute: () => ({ machine: { kubelet: { eventRecordQPS: 50, eventBurst: 100 } } }),
  },
  {
    id: 'k8s.scheduling.control-planes-isolated',
    layer: 'kubernetes',
    title: 'No workloads on control-plane nodes when the cluster has workers',
    threat: 'A compromised workload on a control plane sits next to etcd, the API server\'s keys and the cluster CA.',
    references: { nsa: ['Control plane hardening'] },
    requiredBy: [...ALL, 'edge'],
    appliesTo: (ctx) => ctx.stack.nodes.some((n) => n.role === 'worker'),
    contribute: () => ({ notes: ['Control planes keep the node-role.kubernetes.io/control-plane:NoSchedule taint; only single-node (or control-plane-only) clusters schedule workloads on them.'] }),
  },
];
