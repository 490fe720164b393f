/** OIDC (issue 4): config errors, the AuthenticationConfiguration, RBAC from groups, the user kubeconfig. */
import { parse, parseAllDocuments } from 'yaml';

import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import { configProblems, example, exampleValues, testSecrets, TODAY } from './helpers';

const prod = () => structuredClone(exampleValues('prod')) as Record<string, any>;
const problems = (v: Record<string, unknown>) => configProblems(v);
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

/**
 * Issue 11 item 5: a second identity provider must not get cluster-admin. prod with a second
 * issuer, "partner", whose tokens may carry any group names its operator likes.
 */
describe('two issuers: each group is bound only for the issuer it was declared for', () => {
  const twoIssuers = () => {
    const v = prod();
    v.oidc.issuers[0].name = 'staff';
    v.oidc.issuers.push({
      name: 'partner',
      url: 'https://idp.partner.example.net',
      audiences: ['kubernetes-prod'],
      claims: { username: { claim: 'email', prefix: 'partner:' }, groups: { claim: 'groups', prefix: 'partner:' } },
    });
    v.oidc.platformAdminGroups = [{ issuer: 'staff', group: 'platform-admins' }];
    v.oidc.auditorGroups = [{ issuer: 'staff', group: 'security-auditors' }];
    v.tenants[0].groups = [{ issuer: 'staff', group: 'team-a' }];
    v.tenants[1].groups = [{ issuer: 'partner', group: 'team-b' }];
    v.tenants[2].groups = [{ issuer: 'staff', group: 'team-c' }, { issuer: 'partner', group: 'team-c' }];
    return v;
  };
  const subjectsOf = (o: object) => ((o as { subjects: { kind: string; name: string }[] }).subjects).map((s) => `${s.kind}:${s.name}`);

  it('the second issuer\'s platform-admins is not bound to cluster-admin; tenants carry only their issuers\' groups', async () => {
    const r = renderStack(validateValues('two', twoIssuers(), { today: TODAY }), await testSecrets());
    const bindings = r.objects.filter((o) => o.kind === 'ClusterRoleBinding' && (o.roleRef as { name: string }).name === 'cluster-admin');
    expect(bindings.flatMap(subjectsOf)).toEqual(['Group:oidc:platform-admins']);
    expect(subjectsOf(r.objects.find((o) => o.metadata.name === 'bulwark:auditors')!)).toEqual(['Group:oidc:security-auditors']);
    const tenantSubjects = (t: string) => r.tenantObjects.get(t)!.filter((o) => o.kind === 'RoleBinding').flatMap(subjectsOf);
    expect(tenantSubjects('team-a')).toEqual(['Group:oidc:team-a']);
    expect(tenantSubjects('team-b')).toEqual(['Group:partner:team-b', 'Group:partner:team-b']); // tenant-admins and tenant-network-admins
    expect(tenantSubjects('team-c')).toEqual(['Group:oidc:team-c', 'Group:partner:team-c']);
    // The admission policies exempt the same admins, and only them.
    const exemptions = r.objects
      .flatMap((o) => (o.spec as { matchConditions?: { name: string; expression: string }[] } | undefined)?.matchConditions ?? [])
      .filter((m) => m.name === 'not-platform-admin')
      .map((m) => m.expression);
    expect(exemptions.length).toBeGreaterThan(0);
    for (const e of exemptions) expect(e).toBe('!request.userInfo.groups.exists(g, g in ["oidc:platform-admins"])');
    // And the API server maps each issuer's groups under its own prefix.
    const authn = authnOf(r.nodes.find((n) => n.role === 'controlplane')!.config);
    expect(authn.jwt.map((j: any) => [j.issuer.url, j.claimMappings.groups.prefix, j.claimMappings.username.prefix])).toEqual([
      ['https://login.example.com/realms/staff', 'oidc:', 'oidc:'],
      ['https://idp.partner.example.net', 'partner:', 'partner:'],
    ]);
  });

  it('with two issuers, a group that names no issuer is an error at its key path', () => {
    const v = twoIssuers();
    v.oidc.platformAdminGroups = ['platform-admins'];
    v.oidc.auditorGroups = ['security-auditors'];
    v.tenants[1].groups = ['team-b'];
    const p = problems(v);
    expect(at(p, 'bulwark:oidc.platformAdminGroups[0]')).toMatch(/names no issuer, and there are 2 issuers; write \{issuer: <name>, group: "platform-admins"\}.*staff, partner/);
    expect(at(p, 'bulwark:oidc.auditorGroups[0]')).toMatch(/names no issuer/);
    expect(at(p, 'bulwark:tenants[1].groups[0]')).toMatch(/names no issuer/);
  });

  it('a group naming an unknown issuer, or one that maps no groups; duplicate issuer names', () => {
    const v = twoIssuers();
    v.oidc.platformAdminGroups = [{ issuer: 'stafff', group: 'platform-admins' }];
    delete v.oidc.issuers[1].claims.groups;
    v.oidc.issuers.push({ ...structuredClone(v.oidc.issuers[1]), url: 'https://third.example.net', name: 'partner', claims: { username: { claim: 'email', prefix: 'third:' } } });
    const p = problems(v);
    expect(at(p, 'bulwark:oidc.platformAdminGroups[0].issuer')).toMatch(/"stafff" is not the name of any issuer.*names: staff, partner/);
    expect(at(p, 'bulwark:tenants[1].groups[0].issuer')).toMatch(/maps no groups claim/);
    expect(at(p, 'bulwark:oidc.issuers[2].name')).toMatch(/already the name of bulwark:oidc.issuers\[1\]/);
  });

  it('username and group prefixes must differ across issuers, none the start of another', () => {
    const v = twoIssuers();
    v.oidc.issuers[1].claims.username.prefix = 'oidc:';
    v.oidc.issuers[1].claims.groups.prefix = 'oidc:partner:'; // "oidc:" + "partner:platform-admins" would be this issuer's "platform-admins"
    const p = problems(v);
    expect(at(p, 'bulwark:oidc.issuers[1].claims.username.prefix')).toMatch(/"oidc:" is also the username prefix of bulwark:oidc.issuers\[0\]/);
    expect(at(p, 'bulwark:oidc.issuers[1].claims.groups.prefix')).toMatch(/"oidc:partner:" overlaps the groups prefix of bulwark:oidc.issuers\[0\] \("oidc:"\)/);
  });

  it('one issuer stays simple: plain names, or the issuer named explicitly', async () => {
    const v = prod();
    v.oidc.issuers[0].name = 'staff';
    v.oidc.auditorGroups = [{ issuer: 'staff', group: 'security-auditors' }];
    const r = renderStack(validateValues('one', v, { today: TODAY }), await testSecrets());
    expect(subjectsOf(r.objects.find((o) => o.metadata.name === 'bulwark:platform-admins')!)).toEqual(['Group:oidc:platform-admins']);
    expect(subjectsOf(r.objects.find((o) => o.metadata.name === 'bulwark:auditors')!)).toEqual(['Group:oidc:security-auditors']);
  });
});
