/**
 * Every image a stack's nodes pull, for a site that mirrors them (`npm run images`): what the rendered
 * configurations name (installers, kubelet, control plane, kube-proxy) and what Talos runs by default
 * for its version without the configuration naming it (etcd, CoreDNS, pause, flannel and
 * kube-network-policies when Talos deploys them). Talos's defaults are pinned per release below and
 * checked against `talosctl images default` of each judge (test/images.test.ts).
 */
import { parseAllDocuments } from 'yaml';
import type { StackConfig } from '../config/schema';
import type { RenderedStack } from './index';

interface TalosDefaults {
  etcd: string;
  coredns: string;
  pause: string;
  flannel: string;
  kubeNetworkPolicies: string;
}

/** `talosctl images default` of each release, less the Kubernetes images (the stack names those). */
export const TALOS_DEFAULT_IMAGES: Record<string, TalosDefaults> = {
  'v1.13.9': {
    etcd: 'registry.k8s.io/etcd:v3.6.12',
    coredns: 'registry.k8s.io/coredns/coredns:v1.14.6',
    pause: 'registry.k8s.io/pause:3.10.1',
    flannel: 'ghcr.io/siderolabs/flannel:0.28.8',
    kubeNetworkPolicies: 'registry.k8s.io/networking/kube-network-policies:v1.1.0',
  },
  'v1.14.1': {
    etcd: 'registry.k8s.io/etcd:3.7.1',
    coredns: 'registry.k8s.io/coredns/coredns:v1.14.7',
    pause: 'registry.k8s.io/pause:3.10.2',
    flannel: 'ghcr.io/siderolabs/flannel:0.28.9',
    kubeNetworkPolicies: 'registry.k8s.io/networking/kube-network-policies:v1.1.1',
  },
};

function imagesIn(v: unknown, out: Set<string>): void {
  if (Array.isArray(v)) v.forEach((x) => imagesIn(x, out));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      if (k === 'image' && typeof x === 'string') out.add(x);
      else imagesIn(x, out);
    }
}

/** The images, sorted, and what the list cannot say (an unknown Talos release, a CNI Bulwark installs by chart). */
export function stackImages(stack: StackConfig, r: RenderedStack): { images: string[]; notes: string[] } {
  const images = new Set<string>();
  const notes: string[] = [];
  for (const n of r.nodes) {
    images.add(n.installer);
    for (const d of parseAllDocuments(n.config)) imagesIn(d.toJS(), images);
  }
  imagesIn(r.objects, images);
  for (const objs of r.tenantObjects.values()) imagesIn(objs, images);
  const defaults = TALOS_DEFAULT_IMAGES[stack.cluster.talosVersion];
  if (!defaults)
    notes.push(`Talos ${stack.cluster.talosVersion}'s own images (etcd, CoreDNS, pause, flannel) are not in Bulwark's table (core/render/images.ts); add them from \`talosctl images default\` of that release`);
  else if (r.nodes.length) {
    images.add(defaults.pause);
    if (r.nodes.some((n) => n.role === 'controlplane')) (images.add(defaults.etcd), images.add(defaults.coredns));
    if (stack.cluster.cni === 'flannel') images.add(defaults.flannel);
    if (stack.cluster.cni === 'flannel' && r.plan.controlPlane.kubeNetworkPolicies) images.add(defaults.kubeNetworkPolicies);
  }
  if (stack.cluster.cni === 'cilium') notes.push('cluster.cni is cilium: the images of the pinned Cilium chart (core/render/cni.ts) are not listed; take them from `helm template` of that chart');
  return { images: [...images].sort(), notes };
}
