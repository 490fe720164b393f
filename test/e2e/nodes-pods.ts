/**
 * The pods the node tests run (image bulwark/testapp from the local registry): the pod a tenant is meant to run
 * under its stack's admission policies, a platform pod, and a reader of the facts `testapp info` prints.
 */
import type { K8sObj } from '../../e2e/harness/kube';
import type { PreparedStack } from '../../e2e/harness/stack';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

export const RESOURCES = { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '200m', memory: '64Mi' } };

export const policiesOf = (st: PreparedStack) => st.rendered.objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy').map((o) => o.metadata.name);

export const sandboxClass = (st: PreparedStack): string | undefined =>
  (st.rendered.objects.find((o) => o.kind === 'RuntimeClass') as Doc | undefined)?.metadata.name;

/** Restricted testapp container: non-root, no privilege escalation, every capability dropped, RuntimeDefault seccomp. */
export function testappPod(name: string, image: string, spec: Doc = {}, labels: Record<string, string> = {}): K8sObj {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name, ...labels } },
    spec: {
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'app', image, args: ['serve', ':8080'], ports: [{ containerPort: 8080 }], resources: RESOURCES,
        readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1 },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      }],
      terminationGracePeriodSeconds: 1,
      ...spec,
    },
  };
}

/** The pod a tenant of this stack must use to pass every rendered policy: sandbox class, user namespace, own pool. */
export function tenantPod(st: PreparedStack, tenant: string, name: string, image: string, spec: Doc = {}): K8sObj {
  const policies = policiesOf(st);
  const extra: Doc = {};
  const rc = sandboxClass(st);
  if (policies.includes('bulwark-sandbox-required') && rc) extra.runtimeClassName = rc;
  // hostUsers: false only off the sandbox (runsc has no user namespaces, google/gvisor#13303)
  if (policies.includes('bulwark-user-namespaces') && !extra.runtimeClassName) extra.hostUsers = false;
  const own = st.v.stack.tenants.find((t) => t.name === tenant)?.dedicatedNodes;
  if (own) {
    extra.nodeSelector = { ...own };
    extra.tolerations = Object.entries(own).map(([key, value]) => ({ key, operator: 'Equal', value, effect: 'NoSchedule' }));
  }
  const pod = testappPod(name, image, { ...extra, ...spec });
  return { ...pod, metadata: { ...pod.metadata, namespace: tenant } };
}

export interface Info {
  uid: number;
  status: Record<string, string>;
  uidMap: string;
  kernelRelease: string;
  procVersion: string;
  serviceAccountToken: boolean;
}

export const HOST_UID_MAP = /^0\s+0\s+4294967295$/;
