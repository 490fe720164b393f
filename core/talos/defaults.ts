/**
 * What Talos itself gives each Kubernetes component before our extraArgs are merged, and how it merges them: the
 * render-time model of Talos. Why it cannot come from Talos: the renderer, the CIS evaluator and the posture report
 * run in the pure core (and in `bulwark render` on an operator's machine), where Talos's code does not run;
 * talos-compute (e2e/tools/talos-compute, Talos's own controllers built from its module) is a test judge. So
 * nothing here is trusted: every value Talos's output can answer is checked against it for every example stack
 * on both lines, and the e2e harness starts its processes from Talos's output, not from this file:
 * - component args, kubelet fields Talos forces and refuses, KSPP sysctls: test/talos/computed.test.ts;
 * - denied and additive flags and the merge (mergeArgs): test/talos/merge-policy.test.ts.
 *
 * Used two ways: the renderer refuses to emit a denied flag (Talos would reject the whole config), and the CIS
 * evaluator and posture judge the flags the processes will really run with (core/cis/model.ts).
 */
export type Component = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'etcd';
export type TalosLine = '1.13' | '1.14';

const APISERVER_SECRETS = '/system/secrets/kubernetes/kube-apiserver';
const APISERVER_CONFIG = '/system/config/kubernetes/kube-apiserver';
const CM_SECRETS = '/system/secrets/kubernetes/kube-controller-manager';
const SCHED_SECRETS = '/system/secrets/kubernetes/kube-scheduler';

/** Where Talos places each file inside the control-plane static pods (the values of the flags below). */
export const TALOS_PATHS = {
  encryptionConfig: `${APISERVER_SECRETS}/encryptionconfig.yaml`,
  admissionConfig: `${APISERVER_CONFIG}/admission-control-config.yaml`,
  auditPolicy: `${APISERVER_CONFIG}/auditpolicy.yaml`,
  authorizationConfig: `${APISERVER_CONFIG}/authorization-config.yaml`,
  authenticationConfig: `${APISERVER_CONFIG}/authentication-config.yaml`,
  auditLog: '/var/log/audit/kube/kube-apiserver.log',
  kubeletConfig: '/etc/kubernetes/kubelet.yaml',
  kubeletCA: '/etc/kubernetes/pki/ca.crt',
};

/** Talos 1.13's API server cipher suites (it still allows TLS 1.2); checked with the API server's args. */
const TLS12_SUITES_113 =
  'TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256';

export interface ComponentDefaults {
  args: Record<string, string>;
  additive: string[];
  denied: string[];
}

export interface ApiServerInputs {
  endpoint: string;
  serviceSubnets: string[];
  /** Contract 1.14 multi-document configs use --authentication-config instead of --anonymous-auth. */
  structuredAuthn: boolean;
}

/**
 * kube-apiserver as Talos starts it (1.13: control_plane_static_pod.go; 1.14: control_plane_final.go), with its
 * merge policy. Render-time (see the header); args checked by computed.test.ts, denied/additive by merge-policy.test.ts.
 */
export function apiServerDefaults(line: TalosLine, inputs: ApiServerInputs): ComponentDefaults {
  const s = (f: string) => `${APISERVER_SECRETS}/${f}`;
  const args: Record<string, string> = {
    'admission-control-config-file': TALOS_PATHS.admissionConfig,
    'allow-privileged': 'true',
    'api-audiences': inputs.endpoint,
    'audit-log-maxage': '30',
    'audit-log-maxbackup': '10',
    'audit-log-maxsize': '100',
    'audit-log-path': TALOS_PATHS.auditLog,
    'audit-policy-file': TALOS_PATHS.auditPolicy,
    'authorization-config': TALOS_PATHS.authorizationConfig,
    'bind-address': '0.0.0.0',
    'client-ca-file': s('ca.crt'),
    'enable-admission-plugins': 'NodeRestriction',
    'enable-bootstrap-token-auth': 'true',
    'encryption-provider-config': TALOS_PATHS.encryptionConfig,
    'etcd-cafile': s('etcd-client-ca.crt'),
    'etcd-certfile': s('etcd-client.crt'),
    'etcd-keyfile': s('etcd-client.key'),
    'etcd-servers': 'https://127.0.0.1:2379',
    'kubelet-client-certificate': s('apiserver-kubelet-client.crt'),
    'kubelet-client-key': s('apiserver-kubelet-client.key'),
    'kubelet-preferred-address-types': 'InternalIP,ExternalIP,Hostname',
    profiling: 'false',
    'proxy-client-cert-file': s('front-proxy-client.crt'),
    'proxy-client-key-file': s('front-proxy-client.key'),
    'requestheader-allowed-names': 'front-proxy-client',
    'requestheader-client-ca-file': s('aggregator-ca.crt'),
    'requestheader-extra-headers-prefix': 'X-Remote-Extra-',
    'requestheader-group-headers': 'X-Remote-Group',
    'requestheader-username-headers': 'X-Remote-User',
    'secure-port': '6443',
    'service-account-issuer': inputs.endpoint,
    'service-account-key-file': s('service-account.pub'),
    'service-account-signing-key-file': s('service-account.key'),
    'service-cluster-ip-range': inputs.serviceSubnets.join(','),
    'tls-cert-file': s('apiserver.crt'),
    'tls-private-key-file': s('apiserver.key'),
  };
  const denied = [
    'etcd-servers', 'client-ca-file', 'requestheader-client-ca-file', 'proxy-client-cert-file', 'proxy-client-key-file', 'encryption-provider-config',
    'etcd-cafile', 'etcd-certfile', 'etcd-keyfile', 'kubelet-client-certificate', 'kubelet-client-key', 'service-account-key-file',
    'service-account-signing-key-file', 'tls-cert-file', 'tls-private-key-file', 'authorization-config',
  ];
  if (line === '1.13') {
    args['tls-min-version'] = 'VersionTLS12';
    args['tls-cipher-suites'] = TLS12_SUITES_113;
    args['anonymous-auth'] = 'false';
    return { args, additive: ['enable-admission-plugins', 'feature-gates', 'authorization-mode', 'tls-cipher-suites'], denied };
  }
  args['tls-min-version'] = 'VersionTLS13';
  if (inputs.structuredAuthn) args['authentication-config'] = TALOS_PATHS.authenticationConfig;
  else args['anonymous-auth'] = 'false';
  return {
    args,
    additive: ['enable-admission-plugins', 'feature-gates', 'authorization-mode'],
    denied: [...denied, 'tls-min-version', ...(inputs.structuredAuthn ? ['authentication-config'] : [])],
  };
}

/** kube-controller-manager as Talos starts it (files as apiServerDefaults); checked the same two ways. */
export function controllerManagerDefaults(line: TalosLine, podSubnets: string[], serviceSubnets: string[]): ComponentDefaults {
  const args: Record<string, string> = {
    'allocate-node-cidrs': 'true',
    'authentication-kubeconfig': `${CM_SECRETS}/kubeconfig`,
    'authorization-kubeconfig': `${CM_SECRETS}/kubeconfig`,
    'bind-address': '127.0.0.1',
    'cluster-cidr': podSubnets.join(','),
    'cluster-signing-cert-file': `${CM_SECRETS}/ca.crt`,
    'cluster-signing-key-file': `${CM_SECRETS}/ca.key`,
    'configure-cloud-routes': 'false',
    controllers: line === '1.13' ? '*,tokencleaner' : '*',
    kubeconfig: `${CM_SECRETS}/kubeconfig`,
    'leader-elect': 'true',
    profiling: 'false',
    'root-ca-file': `${CM_SECRETS}/ca.crt`,
    'service-account-private-key-file': `${CM_SECRETS}/service-account.key`,
    'service-cluster-ip-range': serviceSubnets.join(','),
    'tls-min-version': 'VersionTLS13',
    // Talos passes it twice, bare and =true (test/talos/computed.test.ts); both mean true.
    'use-service-account-credentials': 'true',
  };
  if (line === '1.14') {
    args['terminated-pod-gc-threshold'] = '100';
    // per address family present in the pod subnets (control_plane_final.go); Talos's default mask sizes
    if (podSubnets.some((c) => !c.includes(':'))) args['node-cidr-mask-size-ipv4'] = '24';
    if (podSubnets.some((c) => c.includes(':'))) args['node-cidr-mask-size-ipv6'] = '64';
  }
  return {
    args,
    additive: ['service-cluster-ip-range', 'controllers'],
    denied: ['cluster-signing-cert-file', 'cluster-signing-key-file', 'authentication-kubeconfig', 'authorization-kubeconfig', 'root-ca-file', 'service-account-private-key-file'],
  };
}

/** kube-scheduler as Talos starts it (files as apiServerDefaults); checked the same two ways. */
export function schedulerDefaults(): ComponentDefaults {
  return {
    args: {
      'authentication-kubeconfig': `${SCHED_SECRETS}/kubeconfig`,
      'authentication-tolerate-lookup-failure': 'false',
      'authorization-kubeconfig': `${SCHED_SECRETS}/kubeconfig`,
      'bind-address': '127.0.0.1',
      config: '/system/config/kubernetes/kube-scheduler/scheduler-config.yaml',
      'leader-elect': 'true',
      profiling: 'false',
      'tls-min-version': 'VersionTLS13',
    },
    additive: [],
    denied: ['kubeconfig', 'authentication-kubeconfig', 'authorization-kubeconfig', 'config'],
  };
}

/**
 * etcd as machined's etcd service starts it (services/etcd.go argsForControlPlane), less the flags Talos derives
 * from the node's addresses and hostname at run time (name, listen-*, advertise-*, initial-cluster*): no CIS check
 * reads them. computed.test.ts checks every value here against the command line Talos builds, merge-policy.test.ts
 * the deny list.
 */
export function etcdDefaults(line: TalosLine): ComponentDefaults {
  const args: Record<string, string> = {
    'auto-tls': 'false',
    'cert-file': '/system/secrets/etcd/server.crt',
    'client-cert-auth': 'true',
    'data-dir': '/var/lib/etcd',
    'key-file': '/system/secrets/etcd/server.key',
    'peer-auto-tls': 'false',
    'peer-cert-file': '/system/secrets/etcd/peer.crt',
    'peer-client-cert-auth': 'true',
    'peer-key-file': '/system/secrets/etcd/peer.key',
    'peer-trusted-ca-file': '/system/secrets/etcd/ca.crt',
    'trusted-ca-file': '/system/secrets/etcd/ca.crt',
  };
  if (line === '1.13') {
    args['experimental-compact-hash-check-enabled'] = 'true';
    args['experimental-initial-corrupt-check'] = 'true';
    args['experimental-watch-progress-notify-interval'] = '5s';
  } else {
    // passed as two --feature-gates flags; etcd merges repeated gates
    args['feature-gates'] = 'InitialCorruptCheck=true,CompactHashCheck=true';
    args['tls-min-version'] = 'TLS1.3';
    args['watch-progress-notify-interval'] = '5s';
  }
  // Talos denies every flag it sets; initial-cluster(-state), advertise-client-urls and initial-advertise-peer-urls
  // only give way when the extra args name them.
  const addressed = ['name', 'listen-peer-urls', 'listen-client-urls', ...(line === '1.14' ? ['listen-client-http-urls'] : [])];
  return { args, additive: [], denied: [...Object.keys(args), ...addressed] };
}

/**
 * KubeletConfiguration fields Talos forces (kubelet_spec.go), and the ones it refuses in extraConfig
 * (pkg/machinery/kubelet ProtectedConfigurationFields). Render-time for the CIS evaluator's kubelet checks and the
 * renderer's refusal; computed.test.ts checks both against Talos's kubelet spec and list.
 */
export function kubeletDefaults(defaultRuntimeSeccomp: boolean): { config: Record<string, unknown>; forbidden: string[] } {
  return {
    config: {
      port: 10250,
      authentication: { x509: { clientCAFile: TALOS_PATHS.kubeletCA }, webhook: { enabled: true }, anonymous: { enabled: false } },
      authorization: { mode: 'Webhook' },
      rotateCertificates: true,
      protectKernelDefaults: true,
      ...(defaultRuntimeSeccomp ? { seccompDefault: true } : {}),
      address: '0.0.0.0',
      streamingConnectionIdleTimeout: '5m',
      tlsMinVersion: 'VersionTLS13',
    },
    forbidden: ['apiVersion', 'authentication', 'authorization', 'cgroupRoot', 'kind', 'kubeletCgroups', 'port', 'protectKernelDefaults', 'resolvConf', 'rotateCertificates', 'systemCgroups', 'staticPodPath', 'seccompDefault'],
  };
}

/**
 * Sysctls the catalogue leaves to Talos (os.kernel.kspp-sysctls sets only what Talos does not). Kept here, not read
 * from Talos, because the catalogue's choice rests on it; test/talos/computed.test.ts checks that Talos's
 * KernelParamDefaultsController still sets each of them, on both lines.
 */
export const TALOS_KSPP_SYSCTLS: Record<string, string> = {
  'dev.tty.ldisc_autoload': '0',
  'dev.tty.legacy_tiocsti': '0',
  'fs.protected_fifos': '2',
  'fs.protected_hardlinks': '1',
  'fs.protected_regular': '2',
  'fs.protected_symlinks': '1',
  'fs.suid_dumpable': '0',
  'kernel.dmesg_restrict': '1',
  'kernel.kptr_restrict': '2',
  'kernel.perf_event_paranoid': '3',
  'kernel.randomize_va_space': '2',
  'kernel.unprivileged_bpf_disabled': '1',
  'kernel.yama.ptrace_scope': '2',
  'net.core.bpf_jit_harden': '2',
  'user.max_user_namespaces': '0',
  'vm.unprivileged_userfaultfd': '0',
};

/**
 * The effective flags of a component: Talos defaults, then ours (overwrite, or comma-merged for
 * additive flags), as argsbuilder does it. Render-time; merge-policy.test.ts checks its predictions against Talos.
 */
export function mergeArgs(defaults: ComponentDefaults, extra: Record<string, string>): Record<string, string> {
  const out = { ...defaults.args };
  for (const [k, v] of Object.entries(extra)) {
    if (defaults.denied.includes(k)) throw new Error(`flag --${k} may not be overridden on Talos (the whole machine config would be rejected)`);
    if (defaults.additive.includes(k) && out[k]) out[k] = [...new Set([...out[k].split(','), ...v.split(',')])].join(',');
    else out[k] = v;
  }
  return Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k]]));
}
