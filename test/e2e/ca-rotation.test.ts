/**
 * Issue 16, rotating the Kubernetes CA, against the real API server: for the bundle before the rotation and after
 * each phase (core/secrets/ca-rotation.ts: accept, switch, drop), lab is rendered, Talos's controllers compute the
 * control plane from it (talos-compute: the client-CA file, the serving certificate and every other file), and
 * kube-apiserver runs on exactly that. A client certificate from the old CA authenticates in accept and switch and
 * is refused after drop; one from the new CA authenticates in every phase, and was refused before the rotation
 * (so the check can fail). The API server's serving certificate comes from the old CA until the switch, then from
 * the new one, and a client trusting the rendered kubeconfig's CA data reaches it in every phase.
 * What cannot run here: Talos nodes applying the phases one after another (each phase is a fresh control plane).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { SecretsBundle } from '../../core/secrets/bundle';
import { fromB64 } from '../../core/secrets/bundle';
import { ControlPlane, startControlPlane } from '../../e2e/harness/cluster';
import { Idp, startIdps } from '../../e2e/harness/idp';
import { Identity, Kube } from '../../e2e/harness/kube';
import { issue } from '../../e2e/harness/pki';
import { prepareStack } from '../../e2e/harness/stack';
import { loadTools } from '../../e2e/harness/tools';
import { PHASE_NAMES, type PhaseName, rotationPhases, signedBy } from '../ca-phases';
import { testSecrets } from '../helpers';

const tools = loadTools();
const base = mkdtempSync(join(tmpdir(), 'bulwark-e2e-ca-rotation-'));
const STACK = 'lab';

let idp: Idp;
let rogue: Idp;
let phases: Record<PhaseName, SecretsBundle>;
let oldClient: Identity;
let newClient: Identity;
const results: Record<string, { old: number; new: number; servedByNew: boolean; kubeconfigCa: number }> = {};

/** Who the API server says the caller is: 201 with the user's name, or 401. */
async function whoami(kube: Kube, id: Identity): Promise<{ status: number; user?: string }> {
  const r = await kube.request(id, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  return { status: r.status, user: r.json?.status?.userInfo?.username };
}

beforeAll(async () => {
  ({ idp, rogue } = await startIdps(join(base, 'idp'), [STACK]));
  phases = await rotationPhases(await testSecrets(), ['k8s']);
  const pem = (crtKey: { crt: string; key: string }) => ({ crt: fromB64(crtKey.crt), key: fromB64(crtKey.key) });
  const o = await issue(pem(phases.before.certs.k8s), { subject: 'CN=client-of-old-ca', client: true });
  const n = await issue(pem(phases.switch.certs.k8s), { subject: 'CN=client-of-new-ca', client: true });
  oldClient = { name: 'client-of-old-ca', cert: o.crt, key: o.key };
  newClient = { name: 'client-of-new-ca', cert: n.crt, key: n.key };
  for (const phase of PHASE_NAMES) {
    const st = await prepareStack(STACK, idp.issuer, idp.caPem, phases[phase]);
    let cp: ControlPlane | undefined;
    try {
      cp = await startControlPlane({ dir: join(base, phase), flags: st.flags, files: st.files, secrets: phases[phase], tools });
      // a client that trusts only what the rendered kubeconfig says (certificate-authority-data)
      const kc = parse(st.rendered.kubeconfig!) as { clusters: { cluster: Record<string, string> }[] };
      const caData = fromB64(kc.clusters[0].cluster['certificate-authority-data']);
      const viaKubeconfig = new Kube(cp.server, caData);
      const served = st.files.secretFiles[st.flags.apiserver['tls-cert-file']];
      const [old, neu] = [await whoami(viaKubeconfig, oldClient), await whoami(viaKubeconfig, newClient)];
      viaKubeconfig.close();
      if (old.status === 201) expect(old.user).toBe('client-of-old-ca');
      if (neu.status === 201) expect(neu.user).toBe('client-of-new-ca');
      results[phase] = { old: old.status, new: neu.status, servedByNew: signedBy(served, phases.switch.certs.k8s.crt), kubeconfigCa: (caData.match(/BEGIN CERTIFICATE/g) ?? []).length };
    } finally {
      await cp?.stop();
    }
  }
}, 900_000);

afterAll(async () => {
  await idp?.stop();
  await rogue?.stop();
  rmSync(base, { recursive: true, force: true });
});

test('a certificate from the old CA works in accept and switch and stops after drop; one from the new CA works in every phase', () => {
  expect(results).toEqual({
    before: { old: 201, new: 401, servedByNew: false, kubeconfigCa: 1 },
    accept: { old: 201, new: 201, servedByNew: false, kubeconfigCa: 2 },
    switch: { old: 201, new: 201, servedByNew: true, kubeconfigCa: 2 },
    drop: { old: 401, new: 201, servedByNew: true, kubeconfigCa: 1 },
  });
});
