/**
 * A control that cites a CIS check owns what that check reads: a config patch changing one of those flags or
 * kubelet settings undoes the control (core/render/patch-effects.ts), even where the value is Talos's default
 * rather than Bulwark's (a 1.13 patch adding `anonymous-auth: "true"` to the API server undoes
 * auth.anonymous.health-only). What each cited check reads, from kube-bench's cis-1.12 definitions: the component,
 * its flags (as extraArgs keys) and the kubelet or kube-proxy configuration fields. Written out here because the
 * decisions must not depend on the definitions being found at render time; test/cis-owned.test.ts holds this
 * table to kube-bench's definitions and to the catalogue's citations.
 */
import type { ConfigPath, Control } from '../controls/types';

type Component = 'apiserver' | 'controllermanager' | 'scheduler' | 'etcd' | 'kubelet' | 'proxy';

export interface CisReads {
  component: Component;
  flags: string[];
  /** KubeletConfiguration (or, for kube-proxy, KubeProxyConfiguration) fields, as paths. */
  config?: string[][];
}

/** Every process check the catalogue cites (kube-bench's `flag`; a feature gate is read inside `feature-gates`). */
export const CIS_READS: Record<string, CisReads> = {
  '1.2.1': { component: 'apiserver', flags: ['anonymous-auth'] },
  '1.2.3': { component: 'apiserver', flags: ['enable-admission-plugins'] },
  '1.2.5': { component: 'apiserver', flags: ['kubelet-certificate-authority'] },
  '1.2.6': { component: 'apiserver', flags: ['authorization-mode'] },
  '1.2.7': { component: 'apiserver', flags: ['authorization-mode'] },
  '1.2.8': { component: 'apiserver', flags: ['authorization-mode'] },
  '1.2.9': { component: 'apiserver', flags: ['enable-admission-plugins'] },
  '1.2.10': { component: 'apiserver', flags: ['enable-admission-plugins'] },
  '1.2.11': { component: 'apiserver', flags: ['enable-admission-plugins'] },
  '1.2.12': { component: 'apiserver', flags: ['disable-admission-plugins'] },
  '1.2.13': { component: 'apiserver', flags: ['disable-admission-plugins'] },
  '1.2.14': { component: 'apiserver', flags: ['enable-admission-plugins'] },
  '1.2.15': { component: 'apiserver', flags: ['profiling'] },
  '1.2.16': { component: 'apiserver', flags: ['audit-log-path'] },
  '1.2.17': { component: 'apiserver', flags: ['audit-log-maxage'] },
  '1.2.18': { component: 'apiserver', flags: ['audit-log-maxbackup'] },
  '1.2.19': { component: 'apiserver', flags: ['audit-log-maxsize'] },
  '1.2.21': { component: 'apiserver', flags: ['service-account-lookup'] },
  '1.2.27': { component: 'apiserver', flags: ['encryption-provider-config'] },
  '1.2.29': { component: 'apiserver', flags: ['tls-cipher-suites'] },
  '1.2.30': { component: 'apiserver', flags: ['service-account-extend-token-expiration'] },
  '1.3.1': { component: 'controllermanager', flags: ['terminated-pod-gc-threshold'] },
  '1.3.2': { component: 'controllermanager', flags: ['profiling'] },
  '1.3.3': { component: 'controllermanager', flags: ['use-service-account-credentials'] },
  '1.3.6': { component: 'controllermanager', flags: ['feature-gates'] },
  '1.3.7': { component: 'controllermanager', flags: ['bind-address'] },
  '1.4.1': { component: 'scheduler', flags: ['profiling'] },
  '1.4.2': { component: 'scheduler', flags: ['bind-address'] },
  '2.1': { component: 'etcd', flags: ['cert-file', 'key-file'] },
  '2.2': { component: 'etcd', flags: ['client-cert-auth'] },
  '2.3': { component: 'etcd', flags: ['auto-tls'] },
  '2.4': { component: 'etcd', flags: ['peer-cert-file', 'peer-key-file'] },
  '2.5': { component: 'etcd', flags: ['peer-client-cert-auth'] },
  '2.6': { component: 'etcd', flags: ['peer-auto-tls'] },
  '2.7': { component: 'etcd', flags: ['trusted-ca-file'] },
  '3.2.1': { component: 'apiserver', flags: ['audit-policy-file'] },
  '4.2.1': { component: 'kubelet', flags: ['anonymous-auth'], config: [['authentication', 'anonymous', 'enabled']] },
  '4.2.2': { component: 'kubelet', flags: ['authorization-mode'], config: [['authorization', 'mode']] },
  '4.2.3': { component: 'kubelet', flags: ['client-ca-file'], config: [['authentication', 'x509', 'clientCAFile']] },
  '4.2.4': { component: 'kubelet', flags: ['read-only-port'], config: [['readOnlyPort']] },
  '4.2.5': { component: 'kubelet', flags: ['streaming-connection-idle-timeout'], config: [['streamingConnectionIdleTimeout']] },
  '4.2.6': { component: 'kubelet', flags: ['make-iptables-util-chains'], config: [['makeIPTablesUtilChains']] },
  '4.2.8': { component: 'kubelet', flags: ['event-qps'], config: [['eventRecordQPS']] },
  '4.2.10': { component: 'kubelet', flags: ['rotate-certificates'], config: [['rotateCertificates']] },
  '4.2.11': { component: 'kubelet', flags: ['feature-gates'], config: [['featureGates', 'RotateKubeletServerCertificate']] },
  '4.2.12': { component: 'kubelet', flags: ['tls-cipher-suites'], config: [['tlsCipherSuites']] },
  '4.2.13': { component: 'kubelet', flags: ['pod-max-pids'], config: [['podPidsLimit']] },
  '4.2.14': { component: 'kubelet', flags: ['seccomp-default'], config: [['seccompDefault']] },
  '4.3.1': { component: 'proxy', flags: ['metrics-bind-address'], config: [['metricsBindAddress']] },
};

/** Where each component's extra args live in a node's documents, per contract (1.14 runs kube-proxy from its config file). */
function argsPlace(component: Component, contract: '1.13' | '1.14'): { doc: string; path: string[] } | undefined {
  const v13 = contract === '1.13';
  switch (component) {
    case 'apiserver': return v13 ? { doc: 'v1alpha1', path: ['cluster', 'apiServer', 'extraArgs'] } : { doc: 'KubeAPIServerConfig', path: ['extraArgs'] };
    case 'controllermanager': return v13 ? { doc: 'v1alpha1', path: ['cluster', 'controllerManager', 'extraArgs'] } : { doc: 'KubeControllerManagerConfig', path: ['extraArgs'] };
    case 'scheduler': return v13 ? { doc: 'v1alpha1', path: ['cluster', 'scheduler', 'extraArgs'] } : { doc: 'KubeSchedulerConfig', path: ['extraArgs'] };
    case 'etcd': return { doc: 'v1alpha1', path: ['cluster', 'etcd', 'extraArgs'] };
    case 'kubelet': return v13 ? { doc: 'v1alpha1', path: ['machine', 'kubelet', 'extraArgs'] } : { doc: 'KubeletConfig', path: ['extraArgs'] };
    case 'proxy': return v13 ? { doc: 'v1alpha1', path: ['cluster', 'proxy', 'extraArgs'] } : undefined;
  }
}

function configPlace(component: Component, contract: '1.13' | '1.14'): { doc: string; path: string[] } | undefined {
  if (component === 'kubelet') return contract === '1.13' ? { doc: 'v1alpha1', path: ['machine', 'kubelet', 'extraConfig'] } : { doc: 'KubeletConfig', path: ['config'] };
  if (component === 'proxy' && contract === '1.14') return { doc: 'KubeProxyConfig', path: ['config'] };
  return undefined;
}

/** The places of a node's documents the CIS checks a control cites read (control-plane components on control planes only). */
export function cisOwnedPaths(control: Control, contract: '1.13' | '1.14', role: 'controlplane' | 'worker'): ConfigPath[] {
  const out: ConfigPath[] = [];
  for (const id of control.references.cis ?? []) {
    const r = CIS_READS[id];
    if (!r || (role === 'worker' && !['kubelet', 'proxy'].includes(r.component))) continue;
    const args = argsPlace(r.component, contract);
    if (args) for (const f of r.flags) out.push({ doc: args.doc, path: [...args.path, f] });
    const cfg = configPlace(r.component, contract);
    if (cfg) for (const p of r.config ?? []) out.push({ doc: cfg.doc, path: [...cfg.path, ...p] });
  }
  return out;
}
