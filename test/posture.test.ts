/** The posture report: every control once, waivers with reasons, no secret material, e2e verification. */
import { renderStack } from '../core/render/index';
import { postureMarkdown } from '../core/posture/report';
import { CATALOGUE } from '../core/controls/catalogue';
import { EXAMPLES, cisChecks, example, testSecrets } from './helpers';

describe.each(EXAMPLES)('posture of %s', (name) => {
  it('has one row per control, states each waiver with its reason, and carries no secret', async () => {
    const s = await testSecrets();
    const r = renderStack(example(name), s, { cis: cisChecks() });
    expect(r.posture.controls.map((c) => c.id)).toEqual(CATALOGUE.map((c) => c.id));
    for (const c of r.posture.controls.filter((x) => x.status === 'waived')) expect(c.reason!.length).toBeGreaterThan(10);
    for (const c of r.posture.controls.filter((x) => x.status === 'enforced')) expect(c.evidence.length + c.notes.length).toBeGreaterThan(0);
    const md = postureMarkdown(r.posture);
    const json = JSON.stringify(r.posture);
    const secretValues = [s.secrets.secretboxencryptionsecret, s.secrets.bootstraptoken, s.trustdinfo.token, s.cluster.secret, s.certs.k8s.key, s.certs.os.key, s.clients.talosAdmin.key];
    for (const text of [md, json]) {
      for (const v of secretValues) expect(text.includes(v)).toBe(false);
      expect(text).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
    }
    expect(md).toContain(`# Posture: ${name}`);
    expect(md).toContain('## CIS Kubernetes Benchmark 1.12');
  });
});

it('shows what the end-to-end suite verified, per control', async () => {
  const r = renderStack(example('prod'), await testSecrets(), {
    verification: {
      kubernetesVersion: 'v1.36.3',
      stacks: {
        prod: {
          profile: 'multi-team',
          claims: [
            { claim: 'anonymous 401 outside health endpoints', controls: ['auth.anonymous.health-only'], status: 'verified' },
            { claim: 'secret encrypted in etcd', controls: ['k8s.etcd.encryption-at-rest'], status: 'verified' },
            { claim: 'tenant cannot read other tenant secrets', controls: ['tenancy.rbac.tenant-admin', 'k8s.etcd.encryption-at-rest'], status: 'failed' },
          ],
        },
      },
    },
  });
  const by = (id: string) => r.posture.controls.find((c) => c.id === id)!.verified;
  expect(by('auth.anonymous.health-only')).toBe('verified');
  expect(by('k8s.etcd.encryption-at-rest')).toBe('failed'); // any failed claim fails the control
  expect(by('k8s.audit.policy')).toBeUndefined();
  expect(postureMarkdown(r.posture)).toMatch(/\| `auth.anonymous.health-only` \| enforced \| verified \(kube-apiserver v1\.36\.3\) \|/);
});

it('names the judge of each verified claim: the API server unless the claim says another (cyclonus)', async () => {
  const r = renderStack(example('prod'), await testSecrets(), {
    verification: {
      kubernetesVersion: 'v1.36.3',
      stacks: {
        prod: {
          profile: 'multi-team',
          claims: [
            { claim: 'cross-tenant traffic denied both ways', controls: ['tenancy.network.default-deny'], status: 'verified', judge: 'cyclonus v0.5.6' },
            { claim: 'NetworkPolicy objects admitted', controls: ['tenancy.network.default-deny'], status: 'verified' },
          ],
        },
      },
    },
  });
  const c = r.posture.controls.find((x) => x.id === 'tenancy.network.default-deny')!;
  expect(c.judges).toEqual(['cyclonus v0.5.6', 'kube-apiserver v1.36.3']);
  expect(postureMarkdown(r.posture)).toContain('| `tenancy.network.default-deny` | enforced | verified (cyclonus v0.5.6, kube-apiserver v1.36.3) |');
});

it('states the kube-proxy setting where it takes effect: a flag on Talos 1.13, a KubeProxyConfiguration field on 1.14 (which ignores the flag)', async () => {
  const s = await testSecrets();
  const evidenceOf = (name: string) => renderStack(example(name), s).posture.controls.find((c) => c.id === 'k8s.kube-proxy.metrics-loopback')!.evidence;
  expect(example('prod').stack.cluster.contract).toBe('1.13');
  expect(evidenceOf('prod')).toEqual(['kube-proxy --metrics-bind-address=127.0.0.1:10249']);
  expect(example('lab').stack.cluster.contract).toBe('1.14');
  expect(evidenceOf('lab')).toEqual(['kube-proxy KubeProxyConfiguration metricsBindAddress: 127.0.0.1:10249']);
});
