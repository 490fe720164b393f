/**
 * kube-proxy and CoreDNS as processes in a node's network namespace, with the configuration Talos computes for their
 * DaemonSet and Deployment (talos-compute's manifests: the kube-proxy DaemonSet's command line and, on 1.14, its
 * ConfigMap; the coredns ConfigMap) and the RBAC of their service accounts (tokens from the TokenRequest API).
 * Changes, and only these: kube-proxy's kubeconfig (the DaemonSet's /etc/kubernetes/kubeconfig is the in-cluster
 * one) and its files under the node folder (node-kube-proxy.ts); CoreDNS's `kubernetes` block
 * gets `kubeconfig` (no in-cluster credentials outside a pod) and `forward` the node's resolv.conf; CoreDNS binds
 * the node address, and an EndpointSlice (not the endpoint-slice controller's) points the kube-dns Service at it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { ControlPlane } from './cluster';
import { serviceAccountToken } from './node-cluster';
import { kubeProxyInvocation } from './node-kube-proxy';
import { netnsPath } from './node-net';
import type { NodeTools } from './node-tools';
import type { RunningNode } from './node';
import { Proc, start, waitFor } from './proc';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

interface ServiceOpts { cp: ControlPlane; node: RunningNode; server: string; tools: NodeTools; manifests: Doc[] }

function tokenKubeconfig(server: string, caPem: string, token: string): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: 'sa', user: { token } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'sa' } }],
    'current-context': 'e2e',
  });
}

function put(path: string, content: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

const configMap = (manifests: Doc[], prefix: string) => {
  const cm = manifests.find((m) => m.kind === 'ConfigMap' && String(m.metadata.name).startsWith(prefix));
  if (!cm) throw new Error(`Talos computed no ${prefix} ConfigMap`);
  return cm;
};

export async function startKubeProxy(o: ServiceOpts): Promise<Proc> {
  const { node } = o;
  const kubeconfig = put(join(node.dir, 'kube-proxy/kubeconfig'), tokenKubeconfig(o.server, o.cp.caPem, await serviceAccountToken(o.cp, 'kube-system', 'kube-proxy')));
  // the DaemonSet's command line: Talos 1.14 --config and --hostname-override=$(NODE_NAME), Talos 1.13 its flags
  const inv = kubeProxyInvocation(o.manifests, { nodeName: node.name, nodeIp: node.ip, kubeconfig, configDir: join(node.dir, 'kube-proxy') });
  for (const [file, content] of Object.entries(inv.files)) put(file, content);
  return start(`kube-proxy ${node.name}`, 'nsenter', [`--net=${netnsPath(node.net.netns)}`, '--', o.tools.kubeProxy, ...inv.args],
    join(node.dir, 'kube-proxy.log'), { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: node.dir });
}

export async function startDns(o: ServiceOpts): Promise<Proc> {
  const { node, cp } = o;
  const kubeconfig = put(join(node.dir, 'coredns/kubeconfig'), tokenKubeconfig(o.server, cp.caPem, await serviceAccountToken(cp, 'kube-system', 'coredns')));
  const corefile = String(configMap(o.manifests, 'coredns').data.Corefile)
    .replace(/(kubernetes [^{]*\{)/, `$1\n        kubeconfig ${kubeconfig} e2e`)
    .replace(/forward \. \/etc\/resolv\.conf/, `forward . ${node.kubeletConfig.resolvConf}`);
  if (!corefile.includes(`kubeconfig ${kubeconfig}`)) throw new Error(`Talos's Corefile has no kubernetes block:\n${corefile}`);
  const file = put(join(node.dir, 'coredns/Corefile'), corefile);
  const p = start('coredns', 'nsenter', [`--net=${netnsPath(node.net.netns)}`, '--', o.tools.coredns, '-conf', file], join(node.dir, 'coredns.log'),
    { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: node.dir });
  const svc = o.manifests.find((m) => m.kind === 'Service' && m.metadata.name === 'kube-dns');
  if (!svc) throw new Error('Talos computed no kube-dns Service');
  const slice = {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
    metadata: { name: 'kube-dns-e2e-node', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'bulwark-e2e' } },
    endpoints: [{ addresses: [node.ip], conditions: { ready: true }, nodeName: node.name }],
    ports: (svc.spec.ports as Doc[]).map((x) => ({ name: x.name, port: x.targetPort ?? x.port, protocol: x.protocol })),
  };
  const r = await cp.kube.apply(cp.admin, slice as never);
  if (r.status !== 200 && r.status !== 201) throw new Error(`kube-dns EndpointSlice: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  // Talos's Corefile: `ready` (plain HTTP on :8181) answers once the kubernetes plugin has synced
  await waitFor('CoreDNS ready', async () => (await fetch(`http://${node.ip}:8181/ready`)).status === 200, 60_000, p);
  return p;
}
