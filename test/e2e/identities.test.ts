/**
 * Issue 11, items 2 and 5, on a real control plane: prod (multi-team, contract 1.13) with a
 * second identity provider, and saas (contract 1.14).
 *
 * - Item 5: the second issuer (the harness's "rogue" IdP, a real OIDC provider with the same
 *   users) emitting `platform-admins` is not cluster-admin; tenants' bindings hold only the
 *   groups of the issuer each was declared for.
 * - Item 2: the deployer's RBAC, taken from the rendered machine configuration's inline manifest
 *   and applied as Talos would (as the admin), lets bulwark:deployer apply every rendered object;
 *   the deployer is not system:masters; break-glass names the person and the reason, in the
 *   audit log too.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { componentFlags } from '../../core/cis/model';
import { renderStack } from '../../core/render/index';
import { mintBreakGlass } from '../../core/secrets/break-glass';
import { deployerClient } from '../../core/secrets/deployer-client';
import { validateValues } from '../../core/stack';
import type { TalosLine } from '../../core/talos/defaults';
import { ControlPlane, startControlPlane } from '../../e2e/harness/cluster';
import { Idp, login, startIdps } from '../../e2e/harness/idp';
import type { Identity, K8sObj, Response } from '../../e2e/harness/kube';
import { waitFor } from '../../e2e/harness/proc';
import { machineDocs, talosControlPlane } from '../../e2e/harness/talos-files';
import { loadTools } from '../../e2e/harness/tools';
import { TODAY, exampleValues, testSecrets } from '../helpers';

const tools = loadTools();
const base = mkdtempSync(join(tmpdir(), 'bulwark-e2e-identities-'));
let idp: Idp;
let rogue: Idp;

beforeAll(async () => {
  ({ idp, rogue } = await startIdps(join(base, 'idp'), ['prod', 'saas']));
}, 120_000);

afterAll(async () => {
  await rogue?.stop();
  await idp?.stop();
  rmSync(base, { recursive: true, force: true });
});

const expectStatus = (r: Response, want: number | number[], what: string) => {
  if (!(Array.isArray(want) ? want.includes(r.status) : r.status === want)) throw new Error(`${what}: HTTP ${r.status}, expected ${want}: ${r.text.slice(0, 300)}`);
};
const review = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };

/** The objects of the machine configuration's inline manifests, as Talos would apply them. */
function inlineManifestObjects(config: string): K8sObj[] {
  const docs = machineDocs(config);
  const texts = [
    ...docs.filter((d) => d.kind === 'KubeInlineManifestConfig').map((d) => d.manifest as string),
    ...((docs[0]?.cluster?.inlineManifests ?? []) as { contents: string }[]).map((m) => m.contents),
  ];
  return texts.flatMap((t) => parseAllDocuments(t).map((d) => d.toJS() as K8sObj));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = Record<string, any>;

/** An example stack on the local IdPs; `second` adds the rogue IdP as issuer "partner". */
async function prepare(name: string, second: boolean) {
  const raw = structuredClone(exampleValues(name)) as Raw;
  const iss = raw.oidc.issuers[0];
  const oldUrl = iss.url as string;
  Object.assign(iss, { url: idp.issuer, certificateAuthority: idp.caPem });
  for (const rule of iss.claimValidationRules ?? []) rule.expression = String(rule.expression).split(oldUrl).join(idp.issuer);
  if (second) {
    iss.name = 'staff';
    raw.oidc.issuers.push({
      name: 'partner',
      url: rogue.issuer,
      certificateAuthority: rogue.caPem,
      audiences: iss.audiences,
      claims: { username: { claim: 'email', prefix: 'partner:' }, groups: { claim: 'groups', prefix: 'partner:' } },
      requiredClaims: { email_verified: 'true' },
    });
    const staff = (g: string) => ({ issuer: 'staff', group: g });
    raw.oidc.platformAdminGroups = raw.oidc.platformAdminGroups.map(staff);
    raw.oidc.auditorGroups = (raw.oidc.auditorGroups ?? []).map(staff);
    raw.tenants = raw.tenants.map((t: Raw, i: number) => ({ ...t, groups: t.groups.map((g: string) => ({ issuer: i === 1 ? 'partner' : 'staff', group: g })) }));
  }
  const secrets = await testSecrets();
  const v = validateValues(name, raw, { today: TODAY });
  const rendered = renderStack(v, secrets);
  const cpNode = v.stack.nodes.find((n) => n.role === 'controlplane')!;
  const cp = rendered.nodes.find((n) => n.role === 'controlplane')!;
  const line = v.stack.cluster.talosVersion.replace(/^v(\d+\.\d+).*$/, '$1') as TalosLine;
  const { flags, files } = talosControlPlane(cp.config, v.stack.cluster.contract, line, cpNode, componentFlags(v.stack, rendered.plan, line, cpNode));
  return { v, rendered, secrets, flags, files, inline: inlineManifestObjects(cp.config) };
}

for (const [name, second] of [['prod', true], ['saas', false]] as const) {
  describe(`${name}${second ? ' with a second identity provider' : ''}`, () => {
    let st: Awaited<ReturnType<typeof prepare>>;
    let cp: ControlPlane;
    let deployer: Identity;
    const tokenOf = async (from: Idp, l: string): Promise<Identity> => ({ name: `${l} via ${from === idp ? 'staff' : 'partner'}`, token: await from.token(l, st.v.stack.oidc!.clientId) });
    const whoami = async (id: Identity) => {
      const r = await cp.kube.request(id, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', review);
      expectStatus(r, 201, `SelfSubjectReview as ${id.name}`);
      return r.json.status.userInfo as { username: string; groups: string[] };
    };

    beforeAll(async () => {
      st = await prepare(name, second);
      cp = await startControlPlane({ dir: join(base, name), flags: st.flags, files: st.files, secrets: st.secrets, tools });
      const d = await deployerClient(st.secrets, new Date());
      deployer = { name: 'bulwark:deployer', cert: d.crt, key: d.key };
    }, 300_000);

    afterAll(async () => {
      await cp?.stop();
    }, 120_000);

    test('Talos\'s inline manifest lets bulwark:deployer apply every rendered object, and nothing makes it system:masters', async () => {
      expect(st.inline.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ClusterRole/bulwark:deployer', 'ClusterRoleBinding/bulwark:deployer']);
      // Before Talos has created its binding the deployer can do nothing.
      expectStatus(await cp.kube.apply(deployer, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'probe' } }, cp.admin), 403, 'namespace as the deployer before its RBAC exists');
      for (const o of st.inline) expectStatus(await cp.kube.apply(cp.admin, o), [200, 201], `Talos (admin) applies ${o.kind}/${o.metadata.name}`);
      const objs = [...st.rendered.objects, ...[...st.rendered.tenantObjects.values()].flat()] as K8sObj[];
      // Node patches need the Nodes the kubelets register; there are no kubelets here.
      for (const o of objs.filter((x) => x.kind === 'Node')) expectStatus(await cp.kube.create(cp.admin, { apiVersion: 'v1', kind: 'Node', metadata: { name: o.metadata.name } }, cp.admin), 201, `node ${o.metadata.name}`);
      await waitFor('deployer RBAC effective', async () => (await cp.kube.request(deployer, 'GET', '/api/v1/namespaces')).status === 200, 30_000);
      const failures: string[] = [];
      for (const o of objs) {
        const r = await cp.kube.apply(deployer, o, cp.admin);
        if (r.status !== 200 && r.status !== 201) failures.push(`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}: ${r.status} ${r.json?.message ?? r.text.slice(0, 200)}`);
      }
      expect(objs.length).toBeGreaterThan(10);
      expect(failures).toEqual([]);
      const me = await whoami(deployer);
      expect(me.username).toBe('bulwark:deployer');
      expect(me.groups.sort()).toEqual(['bulwark:deployers', 'system:authenticated']);
      // Not system:masters: no Secrets, no exec, no impersonation without an RBAC change first.
      expectStatus(await cp.kube.request(deployer, 'GET', '/api/v1/secrets'), 403, 'deployer lists Secrets');
      expectStatus(await cp.kube.request(deployer, 'GET', '/api/v1/namespaces/kube-system/secrets'), 403, 'deployer reads kube-system Secrets');
      const ssar = await cp.kube.request(deployer, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'impersonate', resource: 'users' } },
      });
      expect(ssar.json.status.allowed).toBe(false);
    });

    test('break-glass names the person and the reason, to the API server and in the audit log', async () => {
      const reason = `e2e ${name}: OIDC provider down, INC-1234`;
      const c = await mintBreakGlass(st.secrets, { person: 'alice@example.com', reason, lifetime: '30m', now: new Date() });
      const glass: Identity = { name: 'break-glass', cert: c.crt, key: c.key };
      const me = await whoami(glass);
      expect(me.username).toBe('break-glass:alice@example.com');
      expect(me.groups).toEqual(expect.arrayContaining(['system:masters', 'bulwark:break-glass', `bulwark:break-glass-reason:${reason}`]));
      expectStatus(await cp.kube.request(glass, 'GET', '/api/v1/namespaces/kube-system/secrets'), 200, 'break-glass reads Secrets (system:masters)');
      expect(me.username).not.toBe((await whoami(deployer)).username);
      await waitFor('audit event of the break-glass request', async () => readFileSync(cp.auditLog, 'utf8').includes('"username":"break-glass:alice@example.com"'), 20_000);
      const events = readFileSync(cp.auditLog, 'utf8').split('\n').filter((l) => l.includes('break-glass:alice@example.com')).map((l) => JSON.parse(l));
      expect(events.some((e) => e.user.groups.includes(`bulwark:break-glass-reason:${reason}`) && e.objectRef?.resource === 'secrets')).toBe(true);
    });

    if (second)
      test('the second issuer\'s platform-admins is not cluster-admin; each tenant answers only to its own issuer\'s groups', async () => {
        const staffAdmin = await tokenOf(idp, login.admin(name));
        const partnerAdmin = await tokenOf(rogue, login.admin(name));
        await waitFor('both issuers authenticate', async () => {
          const [a, b] = await Promise.all([staffAdmin, partnerAdmin].map((id) => cp.kube.request(id, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', review)));
          return a.status === 201 && b.status === 201;
        }, 30_000);
        expect((await whoami(partnerAdmin)).groups).toContain('partner:platform-admins');
        expect((await whoami(staffAdmin)).groups).toContain('oidc:platform-admins');
        await waitFor('RBAC effective', async () => (await cp.kube.request(staffAdmin, 'GET', '/api/v1/secrets')).status === 200, 30_000);
        expectStatus(await cp.kube.request(partnerAdmin, 'GET', '/api/v1/secrets'), 403, 'the partner issuer\'s platform-admins lists Secrets');
        expectStatus(await cp.kube.request(partnerAdmin, 'GET', '/api/v1/namespaces'), 403, 'the partner issuer\'s platform-admins lists namespaces');
        const [a, b] = st.v.stack.tenants; // team-a declared for staff, team-b for partner
        const ns = (t: string) => `/api/v1/namespaces/${t}/configmaps`;
        expectStatus(await cp.kube.request(await tokenOf(idp, login.tenant(name, a.name)), 'GET', ns(a.name)), 200, `staff ${a.name} in ${a.name}`);
        expectStatus(await cp.kube.request(await tokenOf(rogue, login.tenant(name, a.name)), 'GET', ns(a.name)), 403, `partner ${a.name} in ${a.name}`);
        expectStatus(await cp.kube.request(await tokenOf(rogue, login.tenant(name, b.name)), 'GET', ns(b.name)), 200, `partner ${b.name} in ${b.name}`);
        expectStatus(await cp.kube.request(await tokenOf(idp, login.tenant(name, b.name)), 'GET', ns(b.name)), 403, `staff ${b.name} in ${b.name}`);
      });
  });
}
