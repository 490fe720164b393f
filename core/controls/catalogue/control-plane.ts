/** Kubernetes layer, control plane: kube-apiserver, controller manager, scheduler, etcd flags. */
import type { Control } from '../types';

const ALL = ['single-team', 'multi-team', 'hostile-multi-tenant'] as const;

/** TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3 suites are not configurable in Go). */
export const STRONG_CIPHERS = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
];

export const controlPlaneControls: Control[] = [
  {
    id: 'k8s.apiserver.profiling-off',
    layer: 'kubernetes',
    title: 'kube-apiserver profiling endpoints off',
    threat: '/debug/pprof exposes internals and is a cheap denial-of-service lever for anyone who can reach it.',
    references: { cis: ['1.2.15'] },
    requiredBy: [...ALL],
    contribute: () => ({ controlPlane: { apiServerArgs: { profiling: 'false' } } }),
  },
  {
    id: 'k8s.apiserver.tls',
    layer: 'kubernetes',
    title: 'kube-apiserver TLS 1.2+ (1.3 on Talos 1.14) with strong cipher suites only',
    threat: 'Downgrade to weak ciphers lets an on-path attacker read or tamper with API traffic, tokens included.',
    references: { cis: ['1.2.29'], nsa: ['Network separation and hardening: TLS'] },
    requiredBy: [...ALL],
    // Talos 1.14 forces TLS 1.3 and denies overriding tls-min-version; 1.13 defaults to 1.2.
    contribute: (ctx) => ({
      controlPlane: {
        apiServerArgs: { ...(ctx.talosLine === '1.13' ? { 'tls-min-version': 'VersionTLS12' } : {}), 'tls-cipher-suites': STRONG_CIPHERS.join(',') },
      },
    }),
  },
  {
    id: 'k8s.apiserver.admission-plugins',
    layer: 'kubernetes',
    title: 'Admission plugins: NodeRestriction, DenyServiceExternalIPs, EventRateLimit',
    threat: 'A compromised kubelet edits other nodes and their pods; Service externalIPs intercept cluster traffic (CVE-2020-8554); event floods starve etcd.',
    references: { cis: ['1.2.3', '1.2.9', '1.2.10', '1.2.12', '1.2.13', '1.2.14'], other: ['CVE-2020-8554'] },
    requiredBy: [...ALL],
    contribute: () => ({
      controlPlane: {
        admissionPlugins: ['NodeRestriction', 'DenyServiceExternalIPs', 'EventRateLimit'],
        admissionConfig: [
          {
            name: 'EventRateLimit',
            configuration: {
              apiVersion: 'eventratelimit.admission.k8s.io/v1alpha1',
              kind: 'Configuration',
              limits: [
                { type: 'Server', qps: 50, burst: 100 },
                { type: 'Namespace', qps: 20, burst: 50, cacheSize: 2000 },
                { type: 'User', qps: 10, burst: 30, cacheSize: 2000 },
              ],
            },
          },
        ],
      },
    }),
  },
  {
    id: 'k8s.apiserver.always-pull-images',
    layer: 'kubernetes',
    title: 'AlwaysPullImages: image pull credentials checked for every pod',
    threat: 'A tenant runs another tenant\'s private image straight from a node\'s cache without holding pull credentials for it.',
    references: { cis: ['1.2.11'] },
    requiredBy: [...ALL],
    contribute: () => ({ controlPlane: { admissionPlugins: ['AlwaysPullImages'] } }),
  },
  {
    id: 'k8s.apiserver.service-account-tokens',
    layer: 'kubernetes',
    title: 'Service-account tokens looked up on every request and never extended',
    threat: 'A deleted service account\'s token keeps working; extended tokens stay valid long after the pod that held them is gone.',
    references: { cis: ['1.2.21', '1.2.30'] },
    requiredBy: [...ALL],
    contribute: () => ({ controlPlane: { apiServerArgs: { 'service-account-lookup': 'true', 'service-account-extend-token-expiration': 'false' } } }),
  },
  {
    id: 'k8s.apiserver.request-limits',
    layer: 'kubernetes',
    title: 'API server request limits and timeout',
    threat: 'One noisy or malicious client holds enough concurrent or slow requests to deny the API to everyone else.',
    references: { cis: ['1.2.20'], nsa: ['Kubernetes authentication and authorization: rate limiting'] },
    requiredBy: [...ALL],
    contribute: () => ({ controlPlane: { apiServerArgs: { 'max-requests-inflight': '400', 'max-mutating-requests-inflight': '200', 'request-timeout': '60s' } } }),
  },
  {
    id: 'k8s.apiserver.kubelet-https',
    layer: 'kubernetes',
    title: 'API server verifies kubelet serving certificates against the cluster CA',
    threat: 'Without verification, anyone who can answer on a node\'s kubelet port receives exec/attach/logs traffic and the API server\'s client credentials.',
    references: { cis: ['1.2.5'] },
    requiredBy: [...ALL],
    contribute: () => ({
      controlPlane: { apiServerArgs: { 'kubelet-certificate-authority': '/system/secrets/kubernetes/kube-apiserver/ca.crt' } },
      notes: ['Requires kubelet serving certificates signed by the cluster CA: kubelet serverTLSBootstrap is on (k8s.kubelet.serving-certificates) and serving CSRs must be approved by an approver that checks node identity.'],
    }),
  },
  {
    id: 'k8s.controller-manager.hardening',
    layer: 'kubernetes',
    title: 'Controller manager: loopback only, no profiling, per-controller credentials, pod GC',
    threat: 'An exposed controller manager leaks metrics and profiles; one shared credential for all controllers means one bug grants every controller\'s rights.',
    references: { cis: ['1.3.1', '1.3.2', '1.3.3', '1.3.6', '1.3.7'] },
    requiredBy: [...ALL],
    contribute: () => ({
      controlPlane: {
        controllerManagerArgs: {
          'bind-address': '127.0.0.1',
          profiling: 'false',
          'use-service-account-credentials': 'true',
          'terminated-pod-gc-threshold': '1000',
        },
      },
    }),
  },
  {
    id: 'k8s.scheduler.hardening',
    layer: 'kubernetes',
    title: 'Scheduler: loopback only, no profiling',
    threat: 'An exposed scheduler leaks cluster layout and profiling data and can be pushed over with debug requests.',
    references: { cis: ['1.4.1', '1.4.2'] },
    requiredBy: [...ALL],
    contribute: () => ({ controlPlane: { schedulerArgs: { 'bind-address': '127.0.0.1', profiling: 'false' } } }),
  },
  {
    id: 'k8s.kube-proxy.metrics-loopback',
    layer: 'kubernetes',
    title: 'kube-proxy metrics bound to loopback',
    threat: 'kube-proxy metrics on every node address tell anyone on the network the cluster\'s services and endpoints.',
    references: { cis: ['4.3.1'] },
    requiredBy: [...ALL],
    contribute: () => ({ controlPlane: { kubeProxyArgs: { 'metrics-bind-address': '127.0.0.1:10249' } } }),
  },
  {
    id: 'k8s.etcd.mutual-tls',
    layer: 'kubernetes',
    title: 'etcd: mutual TLS for clients and peers, its own CA, no self-signed certificates',
    threat: 'Anyone who can reach etcd reads and rewrites the whole cluster state, Secrets and RBAC included.',
    references: { cis: ['2.1', '2.2', '2.3', '2.4', '2.5', '2.6', '2.7'] },
    requiredBy: [...ALL],
    contribute: () => ({
      talosProvides: ['etcd --client-cert-auth=true', 'etcd --peer-client-cert-auth=true', 'etcd --auto-tls=false', 'etcd --peer-auto-tls=false', 'etcd CA separate from the Kubernetes CA'],
    }),
  },
  {
    id: 'k8s.apiserver.authorization',
    layer: 'kubernetes',
    title: 'API server authorizes with Node and RBAC only',
    threat: 'AlwaysAllow, or a missing Node authorizer, lets any authenticated identity (or any kubelet) act on everything.',
    references: { cis: ['1.2.6', '1.2.7', '1.2.8'] },
    requiredBy: [...ALL],
    contribute: () => ({ talosProvides: ['kube-apiserver --authorization-config with the Node and RBAC authorizers'] }),
  },
];
