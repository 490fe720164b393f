/**
 * The cluster-side parts of Talos's node bring-up, through the real API server:
 * - Talos's own manifests (talos-compute) that nodes need: the bootstrap token Secret (its token from the rendered
 *   config, as Talos fills it), the bootstrap and node RBAC, kube-proxy's and CoreDNS's accounts, CoreDNS's
 *   ConfigMap and the kube-dns Service. Not flannel (the nodes use the CNI bridge), not the kube-proxy DaemonSet or
 *   the CoreDNS Deployment (they run as processes on the nodes: their images are not built here);
 * - node labels, applied as Talos's NodeApplyController does (with the cluster's admin credential, after the
 *   kubelet registered: NodeRestriction forbids a kubelet its node-restriction.kubernetes.io/ labels);
 * - kubelet serving CSRs (signer kubernetes.io/kubelet-serving), approved after checking the request names only
 *   the node's own name and address, which is what an approver does (Kubernetes never approves these itself).
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import type { ControlPlane } from './cluster';
import type { K8sObj } from './kube';
import { machineDocs } from './talos-files';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

const SKIPPED_KINDS = new Set(['DaemonSet', 'Deployment']);

/** `<id>.<secret>` from the rendered config (cluster.token). */
export function bootstrapToken(config: string): { id: string; secret: string } {
  const v1 = machineDocs(config).find((d) => d.machine && d.cluster);
  const token = String(v1?.cluster?.token ?? '');
  const m = token.match(/^([a-z0-9]{6})\.([a-z0-9]{16})$/);
  if (!m) throw new Error('rendered config has no cluster.token of the form <6>.<16>');
  return { id: m[1], secret: m[2] };
}

/** The Talos manifests the nodes need, with the bootstrap token filled in. */
export function nodeManifests(manifests: Doc[], token: { id: string; secret: string }): K8sObj[] {
  const out: K8sObj[] = [];
  for (const m of manifests) {
    if (SKIPPED_KINDS.has(m.kind) || /flannel/.test(m.metadata?.name ?? '')) continue;
    if (m.kind === 'Secret' && String(m.metadata?.name).startsWith('bootstrap-token-')) {
      if (m.metadata.name !== `bootstrap-token-${token.id}`) throw new Error(`Talos's bootstrap token Secret ${m.metadata.name} is not the rendered token's`);
      const { data: _redacted, ...rest } = m;
      void _redacted;
      // the keys and type of Talos's template (k8stemplates/kubelet.go; talos-compute prints the Secret redacted)
      out.push({ ...rest, type: 'bootstrap.kubernetes.io/token', stringData: { 'token-id': token.id, 'token-secret': token.secret, 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:nodes' } } as unknown as K8sObj);
      continue;
    }
    out.push(m as K8sObj);
  }
  return out;
}

export async function applyAll(cp: ControlPlane, objs: K8sObj[]): Promise<void> {
  for (const o of objs) {
    const r = await cp.kube.apply(cp.admin, o);
    if (r.status !== 200 && r.status !== 201) throw new Error(`apply ${o.kind}/${o.metadata.name}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
  }
}

export async function labelNode(cp: ControlPlane, node: string, labels: Record<string, string>): Promise<void> {
  if (!Object.keys(labels).length) return;
  const r = await cp.kube.request(cp.admin, 'PATCH', `/api/v1/nodes/${node}`, { metadata: { labels } }, 'application/merge-patch+json');
  if (r.status !== 200) throw new Error(`label node ${node}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
}

/** Adds the taints Talos's NodeApplyController would own to the Node (keeping the ones it has). */
export async function taintNode(cp: ControlPlane, node: string, taints: Array<{ key: string; value: string; effect: string }>): Promise<void> {
  const r = await cp.kube.request(cp.admin, 'GET', `/api/v1/nodes/${node}`);
  if (r.status !== 200) throw new Error(`get node ${node}: HTTP ${r.status}`);
  const have = (r.json.spec.taints ?? []) as Doc[];
  const add = taints.filter((t) => !have.some((h) => h.key === t.key && h.effect === t.effect)).map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect }));
  if (!add.length) return;
  const p = await cp.kube.request(cp.admin, 'PATCH', `/api/v1/nodes/${node}`, { spec: { taints: [...have, ...add] } }, 'application/merge-patch+json');
  if (p.status !== 200) throw new Error(`taint node ${node}: HTTP ${p.status} ${p.text.slice(0, 300)}`);
}

/** Approves pending kubelet-serving CSRs of `nodes` (name → address) whose names and addresses are the node's own. */
export async function approveServingCsrs(cp: ControlPlane, nodes: Map<string, string>): Promise<string[]> {
  const r = await cp.kube.request(cp.admin, 'GET', '/apis/certificates.k8s.io/v1/certificatesigningrequests');
  if (r.status !== 200) throw new Error(`list CSRs: HTTP ${r.status}`);
  const approved: string[] = [];
  for (const csr of r.json.items as Doc[]) {
    if (csr.spec.signerName !== 'kubernetes.io/kubelet-serving' || csr.status?.conditions?.length) continue;
    const node = String(csr.spec.username).replace(/^system:node:/, '');
    const addr = nodes.get(node);
    if (!addr) continue;
    const req = new x509.Pkcs10CertificateRequest(Buffer.from(csr.spec.request, 'base64').toString('utf8'));
    const ext = req.getExtension('2.5.29.17'); // subjectAltName
    const san = ext ? new x509.SubjectAlternativeNameExtension(ext.rawData) : undefined;
    const names = (san?.names.toJSON() ?? []).map((n: { type: string; value: string }) => `${n.type}:${n.value}`);
    const allowed = new Set([`dns:${node}`, `ip:${addr}`]);
    if (!names.length || names.some((n) => !allowed.has(n)) || ![`CN=system:node:${node}`, 'O=system:nodes'].every((rdn) => req.subject.split(', ').includes(rdn)))
      throw new Error(`kubelet-serving CSR ${csr.metadata.name} of ${node} asks for ${req.subject} ${names.join(',')}: not the node's own`);
    const body = { ...csr, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'BulwarkE2E', message: `names ${names.join(',')} are ${node}'s own` }] } };
    const a = await cp.kube.request(cp.admin, 'PUT', `/apis/certificates.k8s.io/v1/certificatesigningrequests/${csr.metadata.name}/approval`, body);
    if (a.status !== 200) throw new Error(`approve CSR ${csr.metadata.name}: HTTP ${a.status} ${a.text.slice(0, 200)}`);
    approved.push(`${csr.metadata.name} (${node})`);
  }
  return approved;
}

/** A service-account token from the TokenRequest API (for kube-proxy and CoreDNS, which run as processes). */
export async function serviceAccountToken(cp: ControlPlane, namespace: string, name: string): Promise<string> {
  const r = await cp.kube.request(cp.admin, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
  if (r.status !== 201) throw new Error(`token for ${namespace}/${name}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  return r.json.status.token as string;
}
