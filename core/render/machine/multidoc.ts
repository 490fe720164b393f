/**
 * Contract 1.14: a slim v1alpha1 document (machine identity, tokens, OS and etcd CAs) and
 * one document per Kubernetes concern, as `talosctl gen config` lays them out in 1.14
 * (pkg/machinery/config/types/v1alpha1/testdata/stability/v1.14). Secrets keep their
 * bytes across the contract change: the same secretbox key under the same key name, the
 * same cluster id (re-encoded: 1.14 reads it as standard base64).
 */
import { encryptionKeys, fromB64 } from '../../secrets/bundle';
import { acceptedCas } from '../../secrets/ca-rotation';
import { emitYaml } from '../yaml-emit';
import {
  MachineInputs, machineCertSANs, apiServerExtraArgs, argsOf, diskSelectorCel, encryptionConfiguration, images, kubeletConfig, nodeLabels, nodeTaints, valuesOf,
  talosCni, volumeEncryptionDocs,
} from './inputs';
import { discoveryServiceDocs, registryDocs } from './airgap';
import { hostnameOf, networkDocs, resolverDoc } from './network';
import { firewallDocs } from './firewall';

const doc = (kind: string, body: Record<string, unknown> = {}) => ({ apiVersion: 'v1alpha1', kind, ...body });

/** 1.13 bundles carry the cluster id URL-safe; 1.14 decodes it as standard base64. Same 32 bytes. */
export function clusterIdStd(id: string): string {
  return Buffer.from(id.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('base64');
}

/**
 * Talos 1.14 runs kube-proxy with `--config` (a `config` map is given), and kube-proxy then ignores its other
 * flags: each flag a control sets goes into the KubeProxyConfiguration field it stands for.
 */
const KUBE_PROXY_FLAG_FIELDS: Record<string, string> = { 'metrics-bind-address': 'metricsBindAddress' };

export function kubeProxyConfiguration(flags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(flags).map(([flag, value]) => {
    const field = KUBE_PROXY_FLAG_FIELDS[flag];
    if (!field) throw new Error(`kube-proxy flag --${flag} has no KubeProxyConfiguration field in core/render/machine/multidoc.ts; contract 1.14 cannot pass flags (kube-proxy ignores them beside --config)`);
    return [field, value];
  }).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/**
 * Talos 1.14 mounts EPHEMERAL (/var) nosuid,nodev only when a VolumeConfig document names it (without one,
 * the mount is not secure: machinery config/generate/generate_test.go); `talosctl gen config` writes one with
 * `mount.secure: true`, so does Bulwark, on the encryption document when there is one.
 */
function secureEphemeral(volumes: Record<string, unknown>[]): Record<string, unknown>[] {
  const eph = volumes.find((v) => v.name === 'EPHEMERAL');
  if (eph) return volumes.map((v) => (v === eph ? { ...v, mount: { secure: true } } : v));
  return [doc('VolumeConfig', { name: 'EPHEMERAL', mount: { secure: true } }), ...volumes];
}

export function renderMultiDoc(i: MachineInputs): Record<string, unknown>[] {
  const cp = i.node.role === 'controlplane';
  const s = i.secrets;
  const p = i.controlPlane;
  const img = images(i.stack.cluster.kubernetesVersion);
  const sysctls = valuesOf(i.machine.sysctls);
  const labels = nodeLabels(i);
  const taints = nodeTaints(i);
  const kubeletArgs = argsOf(i.machine.kubeletArgs);
  const certSANs = machineCertSANs(i);

  const docs: Record<string, unknown>[] = [
    {
      version: 'v1alpha1',
      debug: false,
      machine: {
        type: i.node.role,
        token: s.trustdinfo.token,
        ca: { crt: s.certs.os.crt, key: cp ? s.certs.os.key : '' },
        ...(acceptedCas(s, 'os').length ? { acceptedCAs: acceptedCas(s, 'os').map((crt) => ({ crt })) } : {}),
        certSANs,
        features: { diskQuotaSupport: true },
      },
      cluster: {
        token: s.secrets.bootstraptoken,
        ...(cp
          ? {
              etcd: { ca: { crt: s.certs.etcd.crt, key: s.certs.etcd.key }, ...(p.etcdArgs.size ? { extraArgs: argsOf(p.etcdArgs) } : {}) },
              ...(p.adminKubeconfigCertLifetime ? { adminKubeconfig: { certLifetime: p.adminKubeconfigCertLifetime } } : {}),
            }
          : {}),
      },
    },
    ...discoveryServiceDocs(i.stack),
    doc('DiscoveryIdentityConfig', { clusterID: clusterIdStd(s.cluster.id), clusterSecret: s.cluster.secret }),
    doc('UnattendedInstallConfig', { installer: { image: i.installerImage }, provisioning: { diskSelector: { match: diskSelectorCel(i.node) }, wipe: false } }),
    resolverDoc(i, { enabled: true, forwardKubeDNSToHost: true })!,
    ...(Object.keys(sysctls).length ? [doc('SysctlConfig', { params: sysctls })] : []),
    ...secureEphemeral(volumeEncryptionDocs(i.machine)),
    doc('FilesystemTrimConfig', { interval: '168h0m0s' }), // Talos 1.14's generated default, kept
    doc('SecurityProfileConfig', { workloadIsolation: true }),
    doc('HostnameConfig', { hostname: hostnameOf(i) }),
    ...networkDocs(i),
    ...(i.machine.hostFirewall ? firewallDocs(i.stack, i.node, i.machine.kubespan) : []),
    ...registryDocs(i.stack),
    ...(i.machine.kubespan ? [doc('KubeSpanConfig', { enabled: true, advertiseKubernetesNetworks: false, allowDownPeerBypass: false })] : []),
    ...(cp && i.stack.cluster.vip ? [doc('Layer2VIPConfig', { name: i.stack.cluster.vip.address, link: i.stack.cluster.vip.link })] : []),
    doc('KubeClusterConfig', { clusterName: i.stack.cluster.name, endpoint: i.stack.cluster.endpoint }),
    doc('KubeNodeConfig', {
      nodeIP: {},
      labels: cp ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '', ...labels } : labels,
      taints: cp && !i.controlPlaneSchedulable ? { 'node-role.kubernetes.io/control-plane': 'NoSchedule', ...taints } : taints,
    }),
    doc('KubeletConfig', {
      image: img.kubelet,
      config: kubeletConfig(i.machine),
      ...(Object.keys(kubeletArgs).length ? { extraArgs: kubeletArgs } : {}),
      defaultRuntimeSeccompProfileEnabled: i.machine.defaultRuntimeSeccomp,
    }),
    doc('KubeNetworkConfig', { dnsDomain: i.stack.cluster.dnsDomain, podSubnets: i.stack.cluster.podSubnets, serviceSubnets: i.stack.cluster.serviceSubnets }),
    // Talos adds the issuing CA to the accepted ones itself; a worker has none, so it lists the current one first
    doc('KubeAPIServerCAConfig', {
      ...(cp ? { issuingCA: { cert: fromB64(s.certs.k8s.crt), key: fromB64(s.certs.k8s.key) } } : {}),
      ...(!cp || acceptedCas(s, 'k8s').length ? { acceptedCAs: [...(cp ? [] : [s.certs.k8s.crt]), ...acceptedCas(s, 'k8s')].map(fromB64) } : {}),
    }),
    doc('KubePrismConfig', { port: 7445 }),
  ];
  if (!cp) return docs;
  const cni = talosCni(i);

  docs.push(
    doc('KubeAggregatorCAConfig', { issuingCA: { cert: fromB64(s.certs.k8saggregator.crt), key: fromB64(s.certs.k8saggregator.key) } }),
    ...p.admissionConfig.map((a) => doc('KubeAdmissionControlConfig', { name: a.name, configuration: a.configuration })),
    ...(p.auditPolicy ? [doc('KubeAuditPolicyConfig', { configuration: p.auditPolicy.value })] : []),
    doc('KubeAuthenticationConfig', { configuration: i.authentication }),
    doc('KubeAuthorizerConfig', { name: 'node', type: 'Node' }),
    doc('KubeAuthorizerConfig', { name: 'rbac', type: 'RBAC' }),
    doc('KubeEtcdEncryptionConfig', { config: encryptionConfiguration(p, encryptionKeys(s)) }),
    doc('KubeServiceAccountConfig', { issuer: { privateKey: fromB64(s.certs.k8sserviceaccount.key), issuerURL: i.stack.cluster.endpoint } }),
    doc('KubeAPIServerConfig', { image: img.apiServer, extraArgs: apiServerExtraArgs(p), certExtraSANs: [new URL(i.stack.cluster.endpoint).hostname] }),
    doc('KubeControllerManagerConfig', { image: img.controllerManager, ...(p.controllerManagerArgs.size ? { extraArgs: argsOf(p.controllerManagerArgs) } : {}) }),
    doc('KubeSchedulerConfig', { image: img.scheduler, config: {}, ...(p.schedulerArgs.size ? { extraArgs: argsOf(p.schedulerArgs) } : {}) }),
    doc('KubeProxyConfig', { image: img.proxy, config: kubeProxyConfiguration(argsOf(p.kubeProxyArgs)) }),
    // No KubeFlannelCNIConfig document means no CNI from Talos (cilium: the program installs it; none: yours).
    ...(cni.flannel ? [doc('KubeFlannelCNIConfig', { backendType: 'vxlan', backendPort: 4789, ...(cni.kubeNetworkPoliciesEnabled ? { kubeNetworkPoliciesEnabled: true } : {}) })] : []),
    doc('KubeCoreDNSConfig', { enabled: true }),
    ...(p.talosApiAccess ? [doc('KubeTalosAPIAccessConfig', p.talosApiAccess.value)] : []),
    ...p.inlineManifests.map((m) => doc('KubeInlineManifestConfig', { name: m.name, manifest: m.objects.map(emitYaml).join('---\n') })),
  );
  return docs;
}
