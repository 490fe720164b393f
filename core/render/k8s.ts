/** A Kubernetes object as rendered: plain data, applied later by @pulumi/kubernetes. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Labels on everything Bulwark renders, so reviewers and policies can find it. */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'bulwark' };
/** Marks a tenant namespace (and is what cluster-wide tenant policies select on). */
export const TENANT_LABEL = 'bulwark.dev/tenant';
/** Which control produced an object: the posture report and preview diffs use it. */
export const CONTROL_ANNOTATION = 'bulwark.dev/control';

export function objectKey(o: K8sObject): string {
  return `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

/** Order in which objects must be applied: what others depend on comes first. */
const KIND_ORDER = [
  'Namespace', 'RuntimeClass', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'ResourceQuota', 'LimitRange', 'NetworkPolicy', 'Role', 'RoleBinding',
];

export function sortObjects(objects: K8sObject[]): K8sObject[] {
  const rank = (k: string) => {
    const i = KIND_ORDER.indexOf(k);
    return i < 0 ? KIND_ORDER.length : i;
  };
  return [...objects].sort((a, b) => rank(a.kind) - rank(b.kind) || objectKey(a).localeCompare(objectKey(b)));
}
