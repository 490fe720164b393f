/**
 * Issue 11 item 2, under Pulumi's mock runtime: the Kubernetes provider acts as the program's
 * own identity (bulwark:deployer), not system:masters and not break-glass; the stack exports no
 * break-glass credential, only how to mint one.
 */
import { X509Certificate } from 'node:crypto';
import { parse } from 'yaml';
import { fromB64 } from '../../core/secrets/bundle';
import { deployerClient } from '../../core/secrets/deployer-client';
import { TODAY, example, testSecrets } from '../helpers';
import { Run, isSecretValue, runExample } from './harness';

const STACKS = ['lab', 'saas'] as const;
const runs = new Map<string, Run>();
beforeAll(async () => {
  for (const name of STACKS) runs.set(name, await runExample(name));
});

function providerKubeconfig(run: Run): { raw: unknown; kc: any } {
  const raw = run.byName.get('cluster-kubernetes')!.raw.kubeconfig;
  return { raw, kc: parse((raw as { value: string }).value) };
}

describe.each(STACKS)('%s', (name) => {
  const run = () => runs.get(name)!;

  test('the Kubernetes provider authenticates as bulwark:deployer (group bulwark:deployers) with a client certificate from the cluster CA', async () => {
    const { raw, kc } = providerKubeconfig(run());
    expect(isSecretValue(raw)).toBe(true);
    const user = kc.users[0].user;
    expect(user.exec).toBeUndefined(); // no Talos exec plugin: nothing mints system:masters per use
    const cert = new X509Certificate(Buffer.from(user['client-certificate-data'], 'base64'));
    expect(cert.subject.split('\n')).toEqual(['CN=bulwark:deployer', 'O=bulwark:deployers']);
    expect(cert.subject).not.toMatch(/system:masters|break-glass/);
    const b = await testSecrets();
    expect(cert.verify(new X509Certificate(fromB64(b.certs.k8s.crt)).publicKey)).toBe(true);
    expect(cert.checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(Buffer.from(user['client-key-data'], 'base64'))))).toBe(true);
    // Short-lived: today's certificate, at most 49 hours.
    const hours = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 3600_000;
    expect(hours).toBe(49);
    expect(Date.parse(cert.validFrom)).toBe(Date.parse(`${TODAY}T00:00:00Z`) - 3600_000);
    expect(kc.clusters[0].cluster.server).toBe(example(name).stack.cluster.endpoint);
  });

  test('same day, same bytes; the next day a new certificate', async () => {
    const { kc } = providerKubeconfig(run());
    const again = providerKubeconfig(await runExample(name)).kc;
    expect(again).toEqual(kc);
    const next = providerKubeconfig(await runExample(name, () => {}, { today: '2026-11-27' })).kc;
    expect(next.users[0].user['client-certificate-data']).not.toBe(kc.users[0].user['client-certificate-data']);
    const b = await testSecrets();
    expect(Buffer.from(kc.users[0].user['client-certificate-data'], 'base64').toString()).toBe((await deployerClient(b, new Date(`${TODAY}T12:00:00Z`))).crt);
  });

  test('the provider waits for bootstrap and the first control plane\'s rollout step (which carries the deployer\'s RBAC)', () => {
    const provider = run().byName.get('cluster-kubernetes')!;
    const first = example(name).stack.nodes.find((n) => n.role === 'controlplane')!;
    for (const dep of ['talos-health', `${first.name}-rollout`]) expect(provider.dependencies).toContain(run().byName.get(dep)!.urn);
  });

  test('no break-glass credential among the outputs; breakGlass says how to mint one and the profile\'s cap', () => {
    const o = run().outputs as Record<string, unknown>;
    expect(o.breakGlassKubeconfig).toBeUndefined();
    const v = example(name);
    expect(o.breakGlass).toEqual({
      command: `npm run break-glass -- --stack ${name} --person <name> --reason <text>`,
      maxLifetime: v.profile.settings.breakGlassMaxLifetime,
      defaultLifetime: v.stack.cluster.breakGlassCertLifetime,
    });
    expect(JSON.stringify(run().stackOutputs)).not.toMatch(/system:masters|client-key-data/);
  });
});
