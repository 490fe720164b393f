/** The controls catalogue: well-formed, consistent with what Talos allows, and the single source of claims. */
import { CATALOGUE } from '../core/controls/catalogue';
import { LAYERS } from '../core/controls/types';
import { componentFlags } from '../core/cis/model';
import { controlContext, decideControls } from '../core/controls/resolve';
import { buildPlan } from '../core/render/plan';
import { apiServerDefaults, controllerManagerDefaults, etcdDefaults, kubeletDefaults, schedulerDefaults } from '../core/talos/defaults';
import { EXAMPLES, example } from './helpers';

describe('catalogue', () => {
  it('has unique, well-formed ids and every field a reviewer needs', () => {
    const ids = CATALOGUE.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of CATALOGUE) {
      expect(c.id).toMatch(/^(os|runtime|k8s|tenancy|auth)\.[a-z0-9-]+\.[a-z0-9-]+$/);
      expect(LAYERS).toContain(c.layer);
      expect(c.id.split('.')[0]).toBe(c.layer === 'kubernetes' ? 'k8s' : c.layer);
      expect(c.title.length).toBeGreaterThan(10);
      expect(c.threat.length).toBeGreaterThan(40);
      expect(Object.values(c.references).flat().length).toBeGreaterThan(0);
      expect(c.requiredBy.length).toBeGreaterThan(0);
    }
  });

  it('covers every layer and every built-in profile', () => {
    for (const l of LAYERS) expect(CATALOGUE.some((c) => c.layer === l)).toBe(true);
    for (const p of ['single-team', 'multi-team', 'hostile-multi-tenant', 'edge']) expect(CATALOGUE.some((c) => (c.requiredBy as string[]).includes(p))).toBe(true);
  });
});

describe.each(EXAMPLES)('stack %s: what the controls ask of Talos is what Talos allows', (name) => {
  const v = example(name);
  const ctx = controlContext(v.stack, v.profile);
  const plan = buildPlan(decideControls(CATALOGUE, ctx), ctx);

  it('no control sets a flag Talos denies (the whole machine config would be rejected)', () => {
    const line = ctx.talosLine;
    const structuredAuthn = v.stack.cluster.contract === '1.14';
    const checks: [string, string[], string[]][] = [
      ['kube-apiserver', [...plan.controlPlane.apiServerArgs.keys(), 'enable-admission-plugins'], apiServerDefaults(line, { endpoint: 'x', serviceSubnets: [], structuredAuthn }).denied],
      ['kube-controller-manager', [...plan.controlPlane.controllerManagerArgs.keys()], controllerManagerDefaults(line, [], []).denied],
      ['kube-scheduler', [...plan.controlPlane.schedulerArgs.keys()], schedulerDefaults().denied],
      ['etcd', [...plan.controlPlane.etcdArgs.keys()], etcdDefaults(line).denied],
    ];
    for (const [component, ours, denied] of checks) expect([component, ours.filter((k) => denied.includes(k))]).toEqual([component, []]);
    if (structuredAuthn) expect([...plan.controlPlane.apiServerArgs.keys()].filter((k) => /^(anonymous-auth|oidc-|authentication-config|authorization-)/.test(k))).toEqual([]);
  });

  it('no control writes a kubelet field Talos refuses in extraConfig', () => {
    const forbidden = kubeletDefaults(true).forbidden;
    for (const node of v.stack.nodes) expect([...plan.machine(node).kubelet.keys()].filter((k) => forbidden.includes(k))).toEqual([]);
  });

  it('every "enforced by Talos" claim is true of the kubelet Talos configures', () => {
    const node = v.stack.nodes[0];
    const flags = componentFlags(v.stack, plan, ctx.talosLine, node);
    const cfg = flags.kubeletConfig as Record<string, any>;
    const claims = [...plan.contributions.values()].flatMap((c) => c.talosProvides ?? []);
    const truth: Record<string, () => boolean> = {
      'kubelet authentication.anonymous.enabled=false': () => cfg.authentication.anonymous.enabled === false,
      'kubelet authentication.webhook.enabled=true': () => cfg.authentication.webhook.enabled === true,
      'kubelet authorization.mode=Webhook': () => cfg.authorization.mode === 'Webhook',
      'kubelet authentication.x509.clientCAFile': () => typeof cfg.authentication.x509.clientCAFile === 'string',
      'kubelet rotateCertificates=true': () => cfg.rotateCertificates === true,
      'kubelet tlsMinVersion=VersionTLS13': () => cfg.tlsMinVersion === 'VersionTLS13',
      'kubelet protectKernelDefaults=true': () => cfg.protectKernelDefaults === true,
      'kubelet seccompDefault=true (from defaultRuntimeSeccompProfileEnabled)': () => cfg.seccompDefault === true,
      'etcd --client-cert-auth=true': () => flags.etcd['client-cert-auth'] === 'true',
      'etcd --peer-client-cert-auth=true': () => flags.etcd['peer-client-cert-auth'] === 'true',
      'etcd --auto-tls=false': () => flags.etcd['auto-tls'] === 'false',
      'etcd --peer-auto-tls=false': () => flags.etcd['peer-auto-tls'] === 'false',
      'etcd CA separate from the Kubernetes CA': () => flags.etcd['trusted-ca-file'] === '/system/secrets/etcd/ca.crt' && flags.apiserver['client-ca-file'] !== flags.etcd['trusted-ca-file'],
      'kube-apiserver --authorization-config with the Node and RBAC authorizers': () =>
        flags.apiserver['authorization-config'] !== undefined && flags.apiserver['authorization-mode'] === undefined,
    };
    expect(claims.length).toBeGreaterThan(0);
    for (const c of claims) expect([c, truth[c]?.()]).toEqual([c, true]);
  });
});
