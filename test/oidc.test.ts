/** OIDC (issue 4): config errors, the AuthenticationConfiguration, RBAC from groups, the user kubeconfig. */
import { parse, parseAllDocuments } from 'yaml';
import { StackConfigError } from '../core/config/errors';
import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import { TODAY, example, exampleValues, testSecrets } from './helpers';

const prod = () => structuredClone(exampleValues('prod')) as Record<string, any>;
function problems(v: Record<string, unknown>) {
  try {
    validateValues('t', v, { today: TODAY });
    return [];
  } catch (e) {
    if (e instanceof StackConfigError) return e.problems;
    throw e;
  }
}
const at = (p: { path: string; message: string }[], path: string) => p.find((x) => x.path === path)?.message ?? `(none; got ${p.map((x) => x.path).join(', ')})`;

describe('bad OIDC input, each naming its key path', () => {
  it('an http issuer', () => {
    const v = prod();
    v.oidc.issuers[0].url = 'http://login.example.com/realms/staff';
    expect(at(problems(v), 'bulwark:oidc.issuers[0].url')).toMatch(/uses http.*https:\/\/login\.example\.com/);
  });
  it('an issuer equal to the service-account issuer', () => {
    const v = prod();
    v.oidc.issuers[0].url = 'https://k8s.prod.example.com:6443';
    expect(at(problems(v), 'bulwark:oidc.issuers[0].url')).toMatch(/service-account issuer/);
  });
  it('duplicate issuers', () => {
    const v = prod();
    v.oidc.issuers.push(structuredClone(v.oidc.issuers[0]));
    expect(at(problems(v), 'bulwark:oidc.issuers[1].url')).toMatch(/already bulwark:oidc.issuers\[0\]/);
  });
  it('a groups claim without a groups prefix, and a username claim without one', () => {
    const v = prod();
    delete v.oidc.issuers[0].claims.groups.prefix;
    delete v.oidc.issuers[0].claims.username.prefix;
    const p = problems(v);
    expect(at(p, 'bulwark:oidc.issuers[0].claims.groups.prefix')).toMatch(/missing.*"oidc:"/);
    expect(at(p, 'bulwark:oidc.issuers[0].claims.username.prefix')).toMatch(/missing/);
  });
  it('a prefix that starts with system:', () => {
    const v = prod();
    v.oidc.issuers[0].claims.groups.prefix = 'system:';
    expect(at(problems(v), 'bulwark:oidc.issuers[0].claims.groups.prefix')).toMatch(/starts with system:/);
  });
  it('a CA bundle that is not PEM', () => {
    const v = prod();
    v.oidc.issuers[0].certificateAuthority = 'not a certificate';
    expect(at(problems(v), 'bulwark:oidc.issuers[0].certificateAuthority')).toMatch(/not a PEM certificate bundle/);
    v.oidc.issuers[0].certificateAuthority = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    expect(at(problems(v), 'bulwark:oidc.issuers[0].certificateAuthority')).toMatch(/not a PEM certificate bundle/);
  });
  it('an admin group that is also a tenant group', () => {
    const v = prod();
    v.oidc.platformAdminGroups = ['team-a'];
    expect(at(problems(v), 'bulwark:oidc.platformAdminGroups[0]')).toMatch(/also a group of tenant team-a/);
  });
  it('profile rules: single-team one issuer; multi-team per-tenant groups; hostile pins required claims', () => {
    const lab = structuredClone(exampleValues('lab')) as Record<string, any>;
    lab.oidc.issuers.push({ ...structuredClone(lab.oidc.issuers[0]), url: 'https://other.example.com' });
    expect(at(problems(lab), 'bulwark:oidc.issuers')).toMatch(/at most 1/);
    const v = prod();
    v.tenants[1].groups = ['team-a'];
    expect(at(problems(v), 'bulwark:tenants[1].groups[0]')).toMatch(/also a group of tenant team-a/);
    const s = structuredClone(exampleValues('saas')) as Record<string, any>;
    s.oidc.issuers[0].requiredClaims = {};
    expect(at(problems(s), 'bulwark:oidc.issuers[0].requiredClaims')).toMatch(/hostile-multi-tenant requires/);
  });
  it('no oidc block at all', () => {
    const v = prod();
    delete v.oidc;
    expect(at(problems(v), 'bulwark:oidc')).toMatch(/identity provider/);
  });
});

function authnOf(config: string) {
  const docs = parseAllDocuments(config).map((d) => d.toJS());
  const v14 = docs.find((d) => d.kind === 'KubeAuthenticationConfig');
  if (v14) return v14.configuration;
  const file = docs[0].machine.files.find((f: { path: string }) => f.path.endsWith('authentication-config.yaml'));
  return parse(file.content);
}

describe('the rendered AuthenticationConfiguration', () => {
  it.each(['lab', 'prod', 'saas'])('%s: prefixes, system: rules, required claims as CEL, anonymous only for health (1.14)', async (name) => {
    const v = example(name);
    const r = renderStack(v, await testSecrets());
    const cp = r.nodes.find((n) => n.role === 'controlplane')!;
    const authn = authnOf(cp.config);
    expect(authn.jwt).toHaveLength(v.stack.oidc!.issuers.length);
    for (const [i, jwt] of authn.jwt.entries()) {
      const iss = v.stack.oidc!.issuers[i];
      expect(jwt.issuer.url).toBe(iss.url);
      expect(jwt.issuer.audiences).toEqual(iss.audiences);
      expect(jwt.claimMappings.username.prefix).toMatch(/^[a-z]+:$/);
      expect(jwt.claimMappings.groups.prefix).toMatch(/^[a-z]+:$/);
      expect(jwt.userValidationRules.map((r: { expression: string }) => r.expression)).toEqual([
        "!user.username.startsWith('system:')",
        "user.groups.all(g, !g.startsWith('system:'))",
      ]);
      expect(jwt.claimValidationRules).toContainEqual({
        expression: 'claims[?"email_verified"].hasValue() && claims[?"email_verified"].value() == true',
        message: 'claim email_verified must be true',
      });
    }
    if (v.stack.cluster.contract === '1.14') expect(authn.anonymous).toEqual({ enabled: true, conditions: [{ path: '/livez' }, { path: '/readyz' }, { path: '/healthz' }] });
    else {
      // 1.13: Talos's --anonymous-auth=false stays; no anonymous block (the two are mutually exclusive).
      expect(authn.anonymous).toBeUndefined();
      expect(authn.apiVersion).toBe('apiserver.config.k8s.io/v1');
      const cfg = parseAllDocuments(cp.config)[0].toJS();
      expect(cfg.cluster.apiServer.extraArgs['authentication-config']).toBe('/etc/bulwark/authentication-config.yaml');
      expect(cfg.cluster.apiServer.extraVolumes).toEqual([{ hostPath: '/var/etc/bulwark', mountPath: '/etc/bulwark', readonly: true }]);
      expect(Object.keys(cfg.cluster.apiServer.extraArgs).filter((k) => k.startsWith('oidc-'))).toEqual([]);
    }
  });

  it('follows the API server\'s own rules (k8s.io/apiserver/pkg/apis/apiserver/validation)', async () => {
    for (const name of ['lab', 'prod', 'saas', 'edge-store']) {
      const v = example(name);
      const r = renderStack(v, await testSecrets());
      const authn = authnOf(r.nodes.find((n) => n.role === 'controlplane')!.config);
      const urls = authn.jwt.map((j: any) => j.issuer.url);
      expect(new Set(urls).size).toBe(urls.length); // issuer URLs unique
      for (const j of authn.jwt) {
        expect(j.issuer.url).toMatch(/^https:\/\/[^?#]+$/); // https, no query or fragment
        expect(j.issuer.url).not.toBe(v.stack.cluster.endpoint); // not the service-account issuer
        expect(j.issuer.audiences.length).toBeGreaterThan(0);
        if (j.issuer.audiences.length > 1) expect(j.issuer.audienceMatchPolicy).toBe('MatchAny');
        // claim XOR expression for username; prefix required alongside claim
        expect(j.claimMappings.username.claim && j.claimMappings.username.expression).toBeFalsy();
        expect(typeof j.claimMappings.username.prefix).toBe('string');
        for (const rule of j.claimValidationRules ?? []) expect(Boolean(rule.claim) !== Boolean(rule.expression)).toBe(true);
      }
    }
  });
});

describe('RBAC from groups and the user kubeconfig', () => {
  it('binds prefixed admin and auditor groups; never an unprefixed or system: group', async () => {
    const r = renderStack(example('prod'), await testSecrets());
    const admins = r.objects.find((o) => o.metadata.name === 'bulwark:platform-admins')!;
    expect(admins.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' });
    expect(admins.subjects).toEqual([{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'oidc:platform-admins' }]);
    const auditors = r.objects.find((o) => o.metadata.name === 'bulwark:auditors')!;
    expect((auditors.roleRef as { name: string }).name).toBe('view');
    const rb = r.tenantObjects.get('team-a')!.find((o) => o.kind === 'RoleBinding')!;
    expect(rb.subjects).toEqual([{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'oidc:team-a' }]);
  });

  it('writes a kubelogin exec kubeconfig with client.authentication.k8s.io/v1 and interactiveMode', async () => {
    const s = await testSecrets();
    const r = renderStack(example('prod'), s);
    const kc = parse(r.kubeconfig!);
    expect(kc.clusters[0].cluster).toEqual({ server: 'https://k8s.prod.example.com:6443', 'certificate-authority-data': s.certs.k8s.crt });
    const exec = kc.users[0].user.exec;
    expect(exec).toMatchObject({ apiVersion: 'client.authentication.k8s.io/v1', command: 'kubectl', interactiveMode: 'Never' });
    expect(exec.args).toEqual([
      'oidc-login', 'get-token', '--oidc-issuer-url=https://login.example.com/realms/staff', '--oidc-client-id=kubernetes-prod', '--oidc-extra-scope=email', '--oidc-extra-scope=groups',
    ]);
    expect(r.kubeconfig).not.toMatch(/PRIVATE KEY|client-key|token:/);
  });

  it('sets a short break-glass certificate lifetime', async () => {
    const r = renderStack(example('saas'), await testSecrets());
    const v1 = parseAllDocuments(r.nodes[0].config)[0].toJS();
    expect(v1.cluster.adminKubeconfig).toEqual({ certLifetime: '30m' });
  });
});
