/** Kubernetes and tenancy layers per profile (issue 3): the exact objects and their key fields. */
import { parseAllDocuments } from 'yaml';
import { objectKey } from '../core/render/k8s';
import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import { TODAY, example, exampleValues, testSecrets } from './helpers';

const keys = (objs: { kind: string; metadata: { name: string; namespace?: string } }[]) => objs.map((o) => objectKey(o as never));

describe('cluster-wide objects per profile', () => {
  it('single-team (lab): RBAC for admins and auditors, tenant role, the policies every profile keeps', async () => {
    const r = renderStack(example('lab'), await testSecrets());
    expect(keys(r.objects)).toEqual([
      'ClusterRole/bulwark:tenant-admin', 'ClusterRole/bulwark:tenant-network-admin',
      'ClusterRoleBinding/bulwark:auditors', 'ClusterRoleBinding/bulwark:platform-admins',
      'ValidatingAdmissionPolicy/bulwark-namespace-labels', 'ValidatingAdmissionPolicy/bulwark-no-external-ips', 'ValidatingAdmissionPolicy/bulwark-no-host-access',
      'ValidatingAdmissionPolicyBinding/bulwark-namespace-labels', 'ValidatingAdmissionPolicyBinding/bulwark-no-external-ips', 'ValidatingAdmissionPolicyBinding/bulwark-no-host-access',
    ]);
    expect(keys(r.tenantObjects.get('apps')!)).toEqual(['Namespace/apps', 'RoleBinding/apps/tenant-admins']);
  });

  it('multi-team (prod): adds default-deny networking, quotas, and no NodePort/LoadBalancer for tenants', async () => {
    const r = renderStack(example('prod'), await testSecrets());
    expect(keys(r.objects)).toEqual(expect.arrayContaining(['ValidatingAdmissionPolicy/bulwark-tenant-service-types', 'ValidatingAdmissionPolicyBinding/bulwark-tenant-service-types']));
    expect(keys(r.objects)).not.toContain('RuntimeClass/gvisor');
    expect(keys(r.tenantObjects.get('team-a')!)).toEqual([
      'Namespace/team-a', 'ResourceQuota/team-a/tenant-quota', 'LimitRange/team-a/tenant-limits',
      'NetworkPolicy/team-a/allow-dns',
      // the stack's declared allowances (bulwark:tenants[0].allow)
      'NetworkPolicy/team-a/allow-egress-payments-db', 'NetworkPolicy/team-a/allow-from-platform-ingress',
      'NetworkPolicy/team-a/allow-same-namespace', 'NetworkPolicy/team-a/allow-to-tenant-team-b', 'NetworkPolicy/team-a/default-deny', 'RoleBinding/team-a/tenant-admins',
    ]);
    // self-service tenants may manage their own network policies
    expect(keys(r.tenantObjects.get('team-b')!)).toContain('RoleBinding/team-b/tenant-network-admins');
    const ns = r.tenantObjects.get('team-a')![0];
    expect(ns.metadata.labels).toMatchObject({
      'bulwark.dev/tenant': 'team-a',
      'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.36',
    });
    const deny = r.tenantObjects.get('team-a')!.find((o) => o.metadata.name === 'default-deny')!;
    expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const quota = r.tenantObjects.get('team-c')!.find((o) => o.kind === 'ResourceQuota')!;
    expect((quota.spec as any).hard).toMatchObject({ 'requests.cpu': '16', pods: '200', 'services.nodeports': '0', 'services.loadbalancers': '0', secrets: '100' });
  });

  it('multi-team stays under 12 objects per tenant', async () => {
    const r = renderStack(example('prod'), await testSecrets());
    for (const objs of r.tenantObjects.values()) expect(objs.length).toBeLessThan(12);
  });

  it('hostile-multi-tenant (saas): gVisor RuntimeClass, sandbox and user-namespace policies, dedicated nodes, ConfigMaps encrypted', async () => {
    const r = renderStack(example('saas'), await testSecrets());
    const rc = r.objects.find((o) => o.kind === 'RuntimeClass')!;
    expect(rc).toMatchObject({ metadata: { name: 'gvisor' }, handler: 'runsc', scheduling: { nodeSelector: { 'bulwark.dev/sandbox': 'gvisor' } } });
    expect(keys(r.objects)).toEqual(expect.arrayContaining([
      'ValidatingAdmissionPolicy/bulwark-sandbox-required', 'ValidatingAdmissionPolicy/bulwark-user-namespaces', 'ValidatingAdmissionPolicy/bulwark-dedicated-nodes',
    ]));
    const acme = r.tenantObjects.get('acme')![0];
    expect(acme.metadata.annotations).toMatchObject({ 'bulwark.dev/node-selector': 'node-restriction.kubernetes.io/pool=acme', 'bulwark.dev/allowed-service-types': 'ClusterIP' });
    // strict egress: same-namespace rule opens ingress only
    const same = r.tenantObjects.get('acme')!.find((o) => o.metadata.name === 'allow-same-namespace')!;
    expect((same.spec as any).policyTypes).toEqual(['Ingress']);
    // strict audit: policies deny and audit
    const binding = r.objects.find((o) => o.kind === 'ValidatingAdmissionPolicyBinding')!;
    expect((binding.spec as any).validationActions).toEqual(['Deny', 'Audit']);
    const cp = parseAllDocuments(r.nodes.find((n) => n.role === 'controlplane')!.config).map((d) => d.toJS());
    expect(cp.find((d) => d.kind === 'KubeEtcdEncryptionConfig').config.resources.flatMap((r: { resources: string[] }) => r.resources).sort()).toEqual(['configmaps', 'secrets']);
    const sandbox = parseAllDocuments(r.nodes.find((n) => n.name === 'saas-sandbox-1')!.config).map((d) => d.toJS());
    expect(sandbox.find((d) => d.kind === 'SysctlConfig').params['user.max_user_namespaces']).toBe('11255');
    expect(sandbox.find((d) => d.kind === 'KubeNodeConfig').taints).toEqual({ 'bulwark.dev/sandbox': 'gvisor:NoSchedule' });
    expect(cp.find((d) => d.kind === 'SysctlConfig').params['user.max_user_namespaces']).toBeUndefined();
    const note = r.posture.controls.find((c) => c.id === 'runtime.userns.enabled')!.notes[0];
    expect(note).toMatch(/user.max_user_namespaces=0.*Chosen: raise it to 11255 on worker nodes only/);
  });

  it('the control plane is configured per profile: audit tiers, admission, PSA defaults pinned', async () => {
    const lab = parseAllDocuments(renderStack(example('lab'), await testSecrets()).nodes[0].config).map((d) => d.toJS());
    const saas = parseAllDocuments(renderStack(example('saas'), await testSecrets()).nodes[0].config).map((d) => d.toJS());
    const psa = lab.find((d) => d.kind === 'KubeAdmissionControlConfig' && d.name === 'PodSecurity').configuration.defaults;
    expect(psa).toEqual({ enforce: 'baseline', 'enforce-version': 'v1.36', audit: 'restricted', 'audit-version': 'v1.36', warn: 'restricted', 'warn-version': 'v1.36' });
    const rules = (docs: any[]) => docs.find((d) => d.kind === 'KubeAuditPolicyConfig').configuration.rules;
    expect(rules(lab).find((r: any) => r.verbs && !r.resources && !r.users)?.level).toBe('Metadata');
    expect(rules(saas).find((r: any) => r.verbs && !r.resources && !r.users)?.level).toBe('Request');
    expect(rules(lab).find((r: any) => r.resources?.[0]?.resources?.includes('secrets'))).toMatchObject({ level: 'Metadata' });
    const args = saas.find((d) => d.kind === 'KubeAPIServerConfig').extraArgs;
    expect(args['enable-admission-plugins'].split(',')).toEqual(['AlwaysPullImages', 'DenyServiceExternalIPs', 'EventRateLimit', 'NodeRestriction']);
    expect(args['kubelet-certificate-authority']).toBe('/system/secrets/kubernetes/kube-apiserver/ca.crt');
    expect(args['tls-min-version']).toBeUndefined(); // Talos 1.14 forces TLS 1.3 and denies the flag
    const kubelet = saas.find((d) => d.kind === 'KubeletConfig');
    expect(kubelet.config).toMatchObject({ readOnlyPort: 0, serverTLSBootstrap: true, podPidsLimit: 1024, eventRecordQPS: 50 });
    expect(kubelet.defaultRuntimeSeccompProfileEnabled).toBe(true);
  });
});

describe('a waived control', () => {
  it('loses its objects and configuration, and the posture report says why', async () => {
    const v = structuredClone(exampleValues('prod')) as Record<string, any>;
    v.waivers = [
      { control: 'tenancy.network.default-deny', reason: 'CNI without NetworkPolicy support until the Cilium migration (NET-42)', expires: '2027-02-01' },
      { control: 'k8s.apiserver.always-pull-images', reason: 'registry outage workaround, tracked in OPS-1234', expires: '2027-01-15' },
    ];
    const r = renderStack(validateValues('prod', v, { today: TODAY }), await testSecrets());
    expect(r.tenantObjects.get('team-a')!.filter((o) => o.kind === 'NetworkPolicy')).toEqual([]);
    const cfg = parseAllDocuments(r.nodes[0].config)[0].toJS();
    expect(cfg.cluster.apiServer.extraArgs['enable-admission-plugins']).not.toMatch(/AlwaysPullImages/);
    const row = r.posture.controls.find((c) => c.id === 'tenancy.network.default-deny')!;
    expect(row).toMatchObject({ status: 'waived', by: 'stack', reason: 'CNI without NetworkPolicy support until the Cilium migration (NET-42)', expires: '2027-02-01', evidence: [] });
  });
});
