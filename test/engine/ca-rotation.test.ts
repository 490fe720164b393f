/**
 * A CA rotation of the cluster secrets under the real engine (Pulumi CLI, the nodejs dynamic-provider host): each
 * phase of bulwark:caRotation is previewed as an update of `cluster-secrets-bundle` (never a replacement), applied
 * in place, and then previews with no changes; a phase out of order fails the preview naming the key; the state
 * on disk holds no private key in clear after any phase. The program is the secrets component alone (the nodes'
 * commands need the command plugin, absent here: test/components/ca-rotation.test.ts runs them under mocks).
 */
import { X509Certificate } from 'node:crypto';
import * as pulumi from '@pulumi/pulumi';
import { allStrings, collector, copyExample, engineFile, openStack, plaintextSecrets, stateOnDisk, timed } from './engine';

const { eng, project } = engineFile(__filename);

/** The secrets component with the stack's bulwark:caRotation; outputs the CAs' public fingerprints. */
const program = async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ClusterSecrets } = require('../../components/secrets') as typeof import('../../components/secrets');
  const caRotation = new pulumi.Config('bulwark').getObject<Record<string, 'accept' | 'switch' | 'drop'>>('caRotation');
  const s = new ClusterSecrets('cluster-secrets', { caRotation });
  const fp = (b64: string) => new X509Certificate(Buffer.from(b64, 'base64').toString('utf8')).fingerprint256;
  return {
    // certificates are public: their fingerprints leave the secret
    k8s: pulumi.unsecret(s.bundle.apply((b) => ({
      issuing: fp(b.certs.k8s.crt),
      phase: b.caRotation?.k8s?.phase ?? 'none',
      other: b.caRotation?.k8s ? fp(b.caRotation.k8s.phase === 'accept' ? b.caRotation.k8s.next.crt : b.caRotation.k8s.previous.crt) : '',
    }))),
  };
};

test('accept, switch, drop: each an update in place, previewed; out of order refused; no private key in state', async () => {
  copyExample(project, 'lab', 'ca');
  const stack = await openStack(eng, project, 'ca', program);
  expect((await timed('ca: up', () => stack.up({ color: 'never' }))).summary.result).toBe('succeeded');
  const out = async () => (await stack.outputs()).k8s.value as { issuing: string; phase: string; other: string };
  const start = await out();
  expect(start.phase).toBe('none');

  const phase = async (p: string) => {
    await stack.setConfig('bulwark:caRotation.kubernetes', { value: p }, true);
    const c = collector();
    const pre = await timed(`ca: preview ${p}`, () => stack.preview({ color: 'never', diff: true, onEvent: c.onEvent }));
    // (`default` is the dynamic resources' default provider: it is handed the stack's config, so a config change updates it)
    expect(c.steps().byOp.get('update')?.filter((n) => n !== 'default')).toEqual(['cluster-secrets-bundle']);
    expect(c.steps().byOp.get('replace')).toBeUndefined();
    expect(pre.stdout).toContain(`caRotation`);
    expect((await timed(`ca: up ${p}`, () => stack.up({ color: 'never' }))).summary.result).toBe('succeeded');
    await timed(`ca: preview --expect-no-changes after ${p}`, () => stack.preview({ expectNoChanges: true, color: 'never' }));
    expect(plaintextSecrets(allStrings(stateOnDisk(eng, 'ca')), [])).toEqual([]);
    return out();
  };
  const accepted = await phase('accept');
  expect(accepted).toEqual({ issuing: start.issuing, phase: 'accept', other: expect.not.stringMatching(start.issuing) });
  await stack.setConfig('bulwark:caRotation.kubernetes', { value: 'drop' }, true);
  await expect(stack.preview({ color: 'never' })).rejects.toThrow(/bulwark:caRotation.kubernetes is "drop", but the Kubernetes CA is in phase "accept": the next phase is "switch"/);
  expect(await phase('switch')).toEqual({ issuing: accepted.other, phase: 'switch', other: start.issuing });
  expect(await phase('drop')).toEqual({ issuing: accepted.other, phase: 'none', other: '' });
  // done: the key can go
  await stack.removeConfig('bulwark:caRotation');
  await timed('ca: preview --expect-no-changes, key removed', () => stack.preview({ expectNoChanges: true, color: 'never' }));
  expect((await timed('ca: destroy', () => stack.destroy({ color: 'never' }))).summary.result).toBe('succeeded');
  await stack.workspace.removeStack('ca');
}, 600_000);
