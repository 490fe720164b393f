/**
 * GitHub issue 11, items 6, 7 and 9: the tenant escapes, tried against the real control plane of
 * each example stack (registered by hardening.test.ts inside its per-stack describe, so they
 * share its control plane). Every attempt is a real request, one per escape route:
 * - node isolation: a pod per attempt (another pool's nodeSelector, affinity or taint, spec.nodeName,
 *   the control-plane taint), each rejected by bulwark-node-isolation, and the tenant's own pod admitted;
 *   a kubelet labelling itself into a pool (refused by NodeRestriction);
 * - Endpoints and EndpointSlices read-only for tenants (CVE-2021-25740);
 * - the namespace-label policy holds for an update that drops the tenant label and for service accounts.
 */
import { fromB64 } from '../../core/secrets/bundle';
import type { Identity, K8sObj, Kube, Response } from '../../e2e/harness/kube';
import { issue } from '../../e2e/harness/pki';
import type { PreparedStack } from '../../e2e/harness/stack';
import { waitFor } from '../../e2e/harness/proc';
import { testSecrets } from '../helpers';

export interface EscapeEnv {
  stackName: string;
  st: PreparedStack;
  kube: Kube;
  admin: Identity;
  platformAdmin: Identity;
  tenantUser: Record<string, Identity>;
  claim: (claim: string, controls: string[], check: () => Promise<string | void>) => Promise<void>;
}

const POOL = 'node-restriction.kubernetes.io/';
const CP_TAINT = 'node-role.kubernetes.io/control-plane';
const SHARED_PROFILES = ['multi-team', 'hostile-multi-tenant'];

const rejected = (r: Response, by: string) => (r.status === 403 || r.status === 422) && r.text.includes(by);
const must = (ok: boolean, what: string, r: Response) => {
  if (!ok) throw new Error(`${what}: HTTP ${r.status}: ${r.text.slice(0, 400)}`);
};
const mergePatch = 'application/merge-patch+json';

async function clientCert(subject: string): Promise<Identity> {
  const s = await testSecrets();
  const pem = await issue({ crt: fromB64(s.certs.k8s.crt), key: fromB64(s.certs.k8s.key) }, { subject, client: true });
  return { name: subject, cert: pem.crt, key: pem.key };
}

/** A restricted pod that satisfies the stack's other tenant policies (sandbox runtime, user namespaces, pinning). */
function podFor(env: EscapeEnv, tenant: string, name: string, spec: Record<string, unknown> = {}): K8sObj {
  const policies = env.st.rendered.objects.filter((o) => o.kind === 'ValidatingAdmissionPolicy').map((o) => o.metadata.name);
  const own = env.st.v.stack.tenants.find((t) => t.name === tenant)?.dedicatedNodes ?? {};
  const base: Record<string, unknown> = {
    securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
  };
  if (policies.includes('bulwark-sandbox-required')) base.runtimeClassName = 'gvisor';
  // hostUsers: false only off the sandbox: runsc has no user namespaces (google/gvisor#13303)
  if (policies.includes('bulwark-user-namespaces') && !policies.includes('bulwark-sandbox-required')) base.hostUsers = false;
  const nodeSelector = { ...own, ...((spec.nodeSelector as Record<string, string> | undefined) ?? {}) };
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { ...base, ...spec, ...(Object.keys(nodeSelector).length ? { nodeSelector } : {}) } };
}

export function registerTenantEscapeTests(get: () => EscapeEnv): void {
  test('node isolation: tenants target no other pool, no control plane, no spec.nodeName (a pod per attempt)', async () => {
    const env = get();
    if (!SHARED_PROFILES.includes(env.st.rendered.posture.profile)) return;
    await env.claim('tenant pods cannot target another pool, the control plane or a node by name; their own pods are admitted', ['tenancy.admission.node-isolation', 'tenancy.admission.dedicated-nodes'], async () => {
      const { st, kube, admin } = env;
      const tenants = st.v.stack.tenants;
      const pooled = tenants.find((t) => t.dedicatedNodes);
      // The pool another tenant would aim at: the stack's own (saas), or one like it (prod has none).
      const pool: [string, string] = pooled ? Object.entries(pooled.dedicatedNodes!)[0] : [`${POOL}pool`, 'other'];
      const poolNode = st.v.stack.nodes.find((n) => n.labels[pool[0]] === pool[1])?.name ?? st.v.stack.nodes.find((n) => n.role === 'worker')!.name;
      const cpNode = st.v.stack.nodes.find((n) => n.role === 'controlplane')!.name;
      const attempts: [string, Record<string, unknown>][] = [
        ['nodeSelector on another pool', { nodeSelector: { [pool[0]]: pool[1] } }],
        ['required node affinity for another pool', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: pool[0], operator: 'In', values: [pool[1]] }] }] } } } }],
        ['preferred node affinity for any pool', { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: pool[0], operator: 'Exists' }] } }] } } }],
        ['toleration of another pool\'s taint', { tolerations: [{ key: pool[0], operator: 'Equal', value: pool[1], effect: 'NoSchedule' }] }],
        [`spec.nodeName ${poolNode}`, { nodeName: poolNode }],
        [`spec.nodeName ${cpNode} (control plane)`, { nodeName: cpNode }],
        ['toleration of the control-plane taint', { tolerations: [{ key: CP_TAINT, operator: 'Exists', effect: 'NoSchedule' }] }],
        ['nodeSelector on the control-plane role', { nodeSelector: { [CP_TAINT]: '' } }],
        ['toleration of every taint (empty key, Exists)', { tolerations: [{ operator: 'Exists' }] }],
      ];
      const notes: string[] = [];
      for (const t of tenants) {
        const u = env.tenantUser[t.name];
        // The pool's own tenant: the same routes towards a pool that is not its own (its pinning stays satisfied).
        const mine = t.dedicatedNodes?.[pool[0]] === pool[1];
        const elsewhere = [`${POOL}other-pool`, 'x'];
        const tries: typeof attempts = mine
          ? [
            ...attempts.filter(([what]) => !what.includes('another pool')),
            ['nodeSelector on a pool not its own', { nodeSelector: { [elsewhere[0]]: elsewhere[1] } }],
            ['toleration of a pool taint not its own', { tolerations: [{ key: elsewhere[0], operator: 'Equal', value: elsewhere[1], effect: 'NoSchedule' }] }],
            ['toleration of its pool key with Exists (every pool)', { tolerations: [{ key: pool[0], operator: 'Exists', effect: 'NoSchedule' }] }],
          ]
          : attempts;
        let n = 0;
        for (const [what, spec] of tries) {
          const r = await kube.dryRunCreate(u, podFor(env, t.name, `e2e-escape-${n++}`, spec), admin, t.name);
          must(rejected(r, 'bulwark-node-isolation'), `${t.name}: ${what} must be rejected by bulwark-node-isolation`, r);
        }
        const legit = t.dedicatedNodes
          ? podFor(env, t.name, 'e2e-own-pool', { tolerations: Object.entries(t.dedicatedNodes).map(([key, value]) => ({ key, operator: 'Equal', value, effect: 'NoSchedule' })) })
          : podFor(env, t.name, 'e2e-legit', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: CP_TAINT, operator: 'DoesNotExist' }] }] } } } });
        const ok = await kube.dryRunCreate(u, legit, admin, t.name);
        must(ok.status === 201, `${t.name}: its own pod (${t.dedicatedNodes ? 'own pool, own taint tolerated' : 'avoiding control planes'}) must be admitted`, ok);
        notes.push(`${t.name}: ${tries.length} attempts rejected, own pod 201`);
      }
      return notes.join('; ');
    });
  });

  test('pool labels: set by the deployer on the Node, refused to a kubelet labelling itself (NodeRestriction)', async () => {
    const env = get();
    const pooled = env.st.v.stack.tenants.filter((t) => t.dedicatedNodes);
    if (!pooled.length) return;
    await env.claim('a kubelet cannot label itself into a dedicated pool; the deployer\'s Node labels are in place', ['tenancy.nodes.pool-labels', 'k8s.apiserver.admission-plugins'], async () => {
      const { st, kube, admin } = env;
      const notes: string[] = [];
      for (const t of pooled) {
        const labels = t.dedicatedNodes!;
        for (const n of st.v.stack.nodes.filter((x) => Object.entries(labels).every(([k, v]) => x.labels[k] === v))) {
          const r = await kube.request(admin, 'GET', `/api/v1/nodes/${n.name}`);
          must(r.status === 200 && Object.entries(labels).every(([k, v]) => r.json.metadata.labels?.[k] === v), `Node ${n.name} must carry ${JSON.stringify(labels)} from the rendered objects`, r);
        }
        // A shared worker (not in this pool) trying to join it with its own kubelet credentials.
        const rogue = st.v.stack.nodes.find((x) => x.role === 'worker' && !Object.entries(labels).every(([k, v]) => x.labels[k] === v))!;
        const kubelet = await clientCert(`O=system:nodes, CN=system:node:${rogue.name}`);
        const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: rogue.name } };
        const withLabels = await kube.request(kubelet, 'POST', '/api/v1/nodes?dryRun=All', { ...node, metadata: { ...node.metadata, labels } });
        must(withLabels.status === 403 && withLabels.text.includes(Object.keys(labels)[0]), `kubelet ${rogue.name} registering with ${JSON.stringify(labels)}`, withLabels);
        const created = await kube.request(kubelet, 'POST', '/api/v1/nodes', node);
        must(created.status === 201 || created.status === 409, `kubelet ${rogue.name} registering its Node`, created);
        const relabel = await kube.request(kubelet, 'PATCH', `/api/v1/nodes/${rogue.name}?dryRun=All`, { metadata: { labels } }, mergePatch);
        must(relabel.status === 403 && relabel.text.includes(Object.keys(labels)[0]), `kubelet ${rogue.name} labelling itself ${JSON.stringify(labels)}`, relabel);
        // Why the prefix: the label the pool used before is one a kubelet may set on itself.
        const unrestricted = await kube.request(kubelet, 'PATCH', `/api/v1/nodes/${rogue.name}?dryRun=All`, { metadata: { labels: { 'bulwark.dev/pool': t.name } } }, mergePatch);
        must(unrestricted.status === 200, `kubelet ${rogue.name} setting an unprefixed label (expected to be allowed, which is why pools do not use one)`, unrestricted);
        notes.push(`${rogue.name} as its kubelet: register with ${Object.keys(labels).join(',')} 403, relabel 403 (bulwark.dev/pool would be 200)`);
      }
      return notes.join('; ');
    });
  });

  test('tenants cannot write Endpoints or EndpointSlices (CVE-2021-25740)', async () => {
    const env = get();
    await env.claim('tenant admins read Endpoints and EndpointSlices but cannot write them', ['tenancy.rbac.tenant-admin'], async () => {
      const { st, kube, admin } = env;
      const review = async (u: Identity, ns: string, group: string, resource: string, verb: string): Promise<boolean> => {
        const r = await kube.request(u, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
          apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: ns, group, resource, verb } },
        });
        must(r.status === 201, `SelfSubjectAccessReview ${verb} ${resource}`, r);
        return r.json.status.allowed === true;
      };
      const wrong: string[] = [];
      for (const t of st.tenants) {
        const u = env.tenantUser[t.name];
        for (const [group, resource] of [['', 'endpoints'], ['discovery.k8s.io', 'endpointslices']]) {
          for (const verb of ['create', 'update', 'patch', 'delete', 'deletecollection']) if (await review(u, t.name, group, resource, verb)) wrong.push(`${t.name} may ${verb} ${resource}`);
          for (const verb of ['get', 'list', 'watch']) if (!(await review(u, t.name, group, resource, verb))) wrong.push(`${t.name} may not ${verb} ${resource}`);
        }
        // And the request itself, as the API server authorizes it.
        const ep = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'e2e-hijack' }, subsets: [{ addresses: [{ ip: '10.96.0.1' }], ports: [{ port: 443 }] }] };
        const slice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e2e-hijack', labels: { 'kubernetes.io/service-name': 'x' } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.96.0.1'] }], ports: [{ port: 443 }] };
        for (const o of [ep, slice] as K8sObj[]) {
          const r = await kube.dryRunCreate(u, o, admin, t.name);
          if (r.status !== 403) wrong.push(`${t.name}: create ${o.kind} → ${r.status}`);
        }
      }
      if (wrong.length) throw new Error(wrong.join('; '));
      return `${st.tenants.length} tenants: create/update/patch/delete/deletecollection denied, get/list/watch allowed (SelfSubjectAccessReview); Endpoints and EndpointSlice creates 403`;
    });
  });

  test('namespace labels: removing the tenant label is rejected; a tenant service account is not exempt', async () => {
    const env = get();
    await env.claim('tenant namespace labels hold against label removal and against service accounts with RBAC to change them', ['tenancy.admission.namespace-labels'], async () => {
      const { st, kube, admin } = env;
      const ns = st.tenants[0].name;
      const sa = 'e2e-sa';
      // Give two non-platform identities the RBAC to change namespaces, so only the policy can stop them:
      // a plain user (client certificate) and the tenant's own service account.
      const setup: K8sObj[] = [
        { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'e2e-namespace-editor' }, rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'update', 'patch'] }] },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'e2e-namespace-editor' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'e2e-namespace-editor' },
          subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'e2e-namespace-editor' }, { kind: 'ServiceAccount', name: sa, namespace: ns }],
        },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: ns } },
        // The service account may also do what its tenant's admins may in the namespace (pods included).
        {
          apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'e2e-sa-tenant-admin', namespace: ns },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'bulwark:tenant-admin' }, subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
        },
      ];
      for (const o of setup) {
        const r = await kube.apply(admin, o);
        must([200, 201].includes(r.status), `apply ${o.kind}/${o.metadata.name}`, r);
      }
      const tr = await kube.request(admin, 'POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } });
      must(tr.status === 201, 'TokenRequest for the tenant service account', tr);
      const saId: Identity = { name: `system:serviceaccount:${ns}:${sa}`, token: tr.json.status.token };
      const user = await clientCert('CN=e2e-namespace-editor');
      const path = `/api/v1/namespaces/${ns}?dryRun=All`;
      const dropTenant = { metadata: { labels: { 'bulwark.dev/tenant': null } } };
      const lowerPsa = { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } };
      // RBAC is read through the authorizer's cache: wait until the binding is in force.
      await waitFor('namespace RBAC for the e2e identities', async () => (await kube.request(user, 'GET', `/api/v1/namespaces/${ns}`)).status === 200, 15_000);
      const notes: string[] = [];
      const escaped: string[] = [];
      // Every route is tried before failing, so a failure lists all of them (label removal, service-account exemption).
      for (const [who, id] of [['plain user', user], ['tenant service account', saId]] as const)
        for (const [what, patch] of [['remove the tenant label', dropTenant], ['lower pod security', lowerPsa]] as const) {
          const r = await kube.request(id, 'PATCH', path, patch, mergePatch);
          if (!rejected(r, 'bulwark-namespace-labels')) escaped.push(`${who} (${id.name}) could ${what}: HTTP ${r.status} ${r.json?.message ?? ''}`);
          notes.push(`${who} ${what}: ${r.status}`);
        }
      if (escaped.length) throw new Error(`not rejected by bulwark-namespace-labels: ${escaped.join('; ')}`);
      // The platform's own identities keep the right (deploys change these labels).
      for (const [who, id] of [['platform admin', env.platformAdmin], ['system:masters', admin]] as const) {
        const r = await kube.request(id, 'PATCH', path, dropTenant, mergePatch);
        must(r.status === 200, `${who} removing the tenant label (dry run)`, r);
      }
      // The tenant's service account is held to the pod policies too.
      if (st.rendered.objects.some((o) => o.metadata.name === 'bulwark-node-isolation')) {
        const pod = podFor(env, ns, 'e2e-sa-pod', { nodeName: st.v.stack.nodes[0].name });
        const r = await kube.dryRunCreate(saId, pod, admin, ns);
        must(rejected(r, 'bulwark-node-isolation'), 'tenant service account: pod with spec.nodeName', r);
        notes.push(`service account pod with nodeName: ${r.status}`);
      }
      return `${notes.join('; ')}; platform admin and system:masters 200`;
    });
  });
}
