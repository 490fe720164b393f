/**
 * Contract 1.13: one v1alpha1 document carrying machine and cluster settings, followed by the
 * few documents 1.13 already has on their own (hostname, volumes, KubeSpan, VIP).
 *
 * 1.13 has no first-class structured authentication: the AuthenticationConfiguration is
 * written as a machine file under /var, mounted into the API server pod read-only, and
 * passed with --authentication-config (the form Talos documents for 1.13). Talos also sets
 * --anonymous-auth=false there, which cannot be combined with an `anonymous:` block, so under
 * 1.13 the health endpoints need authentication too (stricter than 1.14).
 */
import { TALOS_SECRETBOX_KEY_NAME } from '../../secrets/bundle';
import { RotatedCa, acceptedCas } from '../../secrets/ca-rotation';
import {
  MachineInputs, machineCertSANs, talosCni, apiServerExtraArgs, argsOf, images, kubeletExtraConfig113, nodeLabels, nodeTaints, sortKeys, valuesOf, volumeEncryptionDocs,
} from './inputs';
import { registryDocs, v1alpha1Discovery } from './airgap';
import { hostnameOf, networkDocs, resolverDoc } from './network';
import { firewallDocs } from './firewall';

export const AUTHN_HOST_DIR = '/var/etc/bulwark';
export const AUTHN_POD_DIR = '/etc/bulwark';
export const AUTHN_FILE = 'authentication-config.yaml';

export function renderV1Alpha1(i: MachineInputs, toYaml: (v: unknown) => string): Record<string, unknown>[] {
  const cp = i.node.role === 'controlplane';
  const s = i.secrets;
  if (s.encryption && (s.encryption.keys.length > 1 || s.encryption.keys[0].name !== TALOS_SECRETBOX_KEY_NAME))
    throw new Error(
      'the secrets bundle is mid-way through an encryption-key rotation, which contract 1.13 cannot express (Talos generates the ' +
        'encryption config itself, with one secretbox key); move the stack to contract 1.14 first, then rotate (docs/encryption-at-rest.md)',
    );
  const img = images(i.stack.cluster.kubernetesVersion);
  const k = kubeletExtraConfig113(i.node, i.machine); // with registerWithTaints: Talos 1.13's registration window closed
  const kubeletArgs = argsOf(i.machine.kubeletArgs);
  const labels = nodeLabels(i);
  const taints = nodeTaints(i);
  const sysctls = valuesOf(i.machine.sysctls);
  const certSANs = machineCertSANs(i);

  const machine: Record<string, unknown> = {
    type: i.node.role,
    token: s.trustdinfo.token,
    ca: { crt: s.certs.os.crt, key: cp ? s.certs.os.key : '' },
    ...acceptedCaField(s, 'os'),
    certSANs,
    kubelet: {
      image: img.kubelet,
      defaultRuntimeSeccompProfileEnabled: i.machine.defaultRuntimeSeccomp,
      disableManifestsDirectory: true,
      ...(Object.keys(kubeletArgs).length ? { extraArgs: kubeletArgs } : {}),
      ...(Object.keys(k).length ? { extraConfig: k } : {}),
    },
    install: {
      ...(i.node.installDisk ? { disk: i.node.installDisk } : { diskSelector: sortKeys(i.node.diskSelector as Record<string, string>) }),
      image: i.installerImage,
      wipe: false,
      // as `talosctl gen config` 1.13: GRUB takes the UKI's command line, which carries the schematic's kernel
      // arguments; without it the installer builds one from install.extraKernelArgs only and drops them
      grubUseUKICmdline: true,
    },
    ...(Object.keys(sysctls).length ? { sysctls } : {}),
    features: {
      diskQuotaSupport: true, kubePrism: { enabled: true, port: 7445 }, hostDNS: { enabled: true, forwardKubeDNSToHost: true },
      // talos.dev ServiceAccounts (the etcd backup job's credential): control planes answer them, for these roles and namespaces only
      ...(cp && i.controlPlane.talosApiAccess ? { kubernetesTalosAPIAccess: { enabled: true, ...i.controlPlane.talosApiAccess.value } } : {}),
    },
    // control planes: the label `talosctl gen config` 1.13 puts there (1.14: KubeNodeConfig), kept
    ...(cp ? { nodeLabels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '', ...labels } } : Object.keys(labels).length ? { nodeLabels: labels } : {}),
    ...(Object.keys(taints).length ? { nodeTaints: taints } : {}),
  };
  if (cp) {
    machine.files = [
      {
        path: `${AUTHN_HOST_DIR}/${AUTHN_FILE}`,
        // The API server runs as 65534 and must read it; it holds no secrets (issuer URLs, claims, CA certs).
        permissions: 0o644,
        op: 'create',
        content: toYaml({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'AuthenticationConfiguration', ...withoutAnonymous(i.authentication) }),
      },
    ];
  }

  const cni = talosCni(i);
  const cluster: Record<string, unknown> = {
    id: s.cluster.id,
    secret: s.cluster.secret,
    controlPlane: { endpoint: i.stack.cluster.endpoint },
    clusterName: i.stack.cluster.name,
    network: {
      dnsDomain: i.stack.cluster.dnsDomain, podSubnets: i.stack.cluster.podSubnets, serviceSubnets: i.stack.cluster.serviceSubnets,
      cni: cni.flannel ? { name: 'flannel', ...(cni.kubeNetworkPoliciesEnabled ? { flannel: { kubeNetworkPoliciesEnabled: true } } : {}) } : { name: 'none' },
    },
    token: s.secrets.bootstraptoken,
    ca: { crt: s.certs.k8s.crt, key: cp ? s.certs.k8s.key : '' },
    ...acceptedCaField(s, 'k8s'),
    proxy: { image: img.proxy, ...(i.controlPlane.kubeProxyArgs.size ? { extraArgs: argsOf(i.controlPlane.kubeProxyArgs) } : {}) },
    discovery: v1alpha1Discovery(i.stack),
  };
  if (cp) {
    const p = i.controlPlane;
    Object.assign(cluster, {
      secretboxEncryptionSecret: s.secrets.secretboxencryptionsecret,
      aggregatorCA: { crt: s.certs.k8saggregator.crt, key: s.certs.k8saggregator.key },
      serviceAccount: { key: s.certs.k8sserviceaccount.key },
      apiServer: {
        image: img.apiServer,
        certSANs: [new URL(i.stack.cluster.endpoint).hostname, ...(i.stack.cluster.vip ? [i.stack.cluster.vip.address] : [])].filter((v, n, a) => a.indexOf(v) === n),
        extraArgs: apiServerExtraArgs(p, { 'authentication-config': `${AUTHN_POD_DIR}/${AUTHN_FILE}` }),
        extraVolumes: [{ hostPath: AUTHN_HOST_DIR, mountPath: AUTHN_POD_DIR, readonly: true }],
        admissionControl: p.admissionConfig.map((a) => ({ name: a.name, configuration: a.configuration })),
        ...(p.auditPolicy ? { auditPolicy: p.auditPolicy.value } : {}),
      },
      controllerManager: { image: img.controllerManager, ...(p.controllerManagerArgs.size ? { extraArgs: argsOf(p.controllerManagerArgs) } : {}) },
      scheduler: { image: img.scheduler, ...(p.schedulerArgs.size ? { extraArgs: argsOf(p.schedulerArgs) } : {}) },
      etcd: { ca: { crt: s.certs.etcd.crt, key: s.certs.etcd.key }, ...(p.etcdArgs.size ? { extraArgs: argsOf(p.etcdArgs) } : {}) },
      ...(p.adminKubeconfigCertLifetime ? { adminKubeconfig: { certLifetime: p.adminKubeconfigCertLifetime } } : {}),
      ...(p.inlineManifests.length ? { inlineManifests: p.inlineManifests.map((m) => ({ name: m.name, contents: m.objects.map(toYaml).join('---\n') })) } : {}),
      allowSchedulingOnControlPlanes: i.controlPlaneSchedulable,
    });
  }

  return [
    { version: 'v1alpha1', debug: false, machine, cluster },
    { apiVersion: 'v1alpha1', kind: 'HostnameConfig', hostname: hostnameOf(i) },
    ...[resolverDoc(i, undefined)].filter((d) => !!d),
    ...networkDocs(i),
    ...(i.machine.hostFirewall ? firewallDocs(i.stack, i.node, i.machine.kubespan) : []),
    ...registryDocs(i.stack),
    ...volumeEncryptionDocs(i.machine),
    ...(i.machine.kubespan ? [{ apiVersion: 'v1alpha1', kind: 'KubeSpanConfig', enabled: true, advertiseKubernetesNetworks: false, allowDownPeerBypass: false }] : []),
    ...(cp && i.stack.cluster.vip ? [{ apiVersion: 'v1alpha1', kind: 'Layer2VIPConfig', name: i.stack.cluster.vip.address, link: i.stack.cluster.vip.link }] : []),
  ];
}

/** During a CA rotation, the other CA nodes accept (core/secrets/ca-rotation.ts): a list of {crt} in Talos's Go type. */
function acceptedCaField(s: MachineInputs['secrets'], ca: RotatedCa): { acceptedCAs?: { crt: string }[] } {
  const accepted = acceptedCas(s, ca);
  return accepted.length ? { acceptedCAs: accepted.map((crt) => ({ crt })) } : {};
}

/** 1.13 keeps Talos's --anonymous-auth=false; the two cannot be combined. */
function withoutAnonymous(authn: Record<string, unknown>): Record<string, unknown> {
  const { anonymous: _ignored, ...rest } = authn;
  void _ignored;
  return rest;
}

