/** The renderer: deterministic bytes, secrets kept across re-renders and contract changes, schematics. */
import { parseAllDocuments } from 'yaml';
import { clusterIdStd } from '../core/render/machine/multidoc';
import { renderStack, renderedFiles } from '../core/render/index';
import { installerImage, schematicFor, schematicId, schematicYaml } from '../core/render/schematic';
import { fromB64 } from '../core/secrets/bundle';
import { validateValues } from '../core/stack';
import { EXAMPLES, TODAY, example, exampleValues, testSecrets } from './helpers';

describe('determinism', () => {
  it.each(EXAMPLES)('%s: rendering twice gives the same bytes', async (name) => {
    const s = await testSecrets();
    const a = renderedFiles(renderStack(example(name), s));
    const b = renderedFiles(renderStack(example(name), structuredClone(s)));
    expect(b.map((f) => f.path)).toEqual(a.map((f) => f.path));
    for (let i = 0; i < a.length; i++) expect(b[i].content).toBe(a[i].content);
  });

  it('key order in the stack file does not change the output', async () => {
    const s = await testSecrets();
    const v = exampleValues('prod') as Record<string, any>;
    const reordered = Object.fromEntries(Object.entries(v).reverse());
    reordered.cluster = Object.fromEntries(Object.entries(v.cluster).reverse());
    const a = renderedFiles(renderStack(validateValues('prod', v, { today: TODAY }), s));
    const b = renderedFiles(renderStack(validateValues('prod', reordered, { today: TODAY }), s));
    expect(b.map((f) => f.content)).toEqual(a.map((f) => f.content));
  });

  it('no timestamps and no randomness outside the secrets', async () => {
    const s = await testSecrets();
    for (const f of renderedFiles(renderStack(example('saas'), s)).filter((x) => !x.secret))
      expect(f.content).not.toMatch(/20\d\d-\d\d-\d\dT\d\d:\d\d/);
  });
});

describe('secrets', () => {
  it('machine configs carry the bundle verbatim: re-rendering never rotates anything', async () => {
    const s = await testSecrets();
    const r = renderStack(example('prod'), s);
    const cp = parseAllDocuments(r.nodes[0].config)[0].toJS();
    expect(cp.machine.ca).toEqual(s.certs.os);
    expect(cp.machine.token).toBe(s.trustdinfo.token);
    expect(cp.cluster.ca).toEqual(s.certs.k8s);
    expect(cp.cluster.secretboxEncryptionSecret).toBe(s.secrets.secretboxencryptionsecret);
    expect(cp.cluster.token).toBe(s.secrets.bootstraptoken);
    const worker = parseAllDocuments(r.nodes.find((n) => n.role === 'worker')!.config)[0].toJS();
    expect(worker.machine.ca.key).toBe(''); // workers never get CA keys
    expect(worker.cluster.ca.key).toBe('');
    expect(worker.cluster.serviceAccount).toBeUndefined();
  });

  it('a contract change (1.13 → 1.14) keeps every secret, the secretbox key under the same name included', async () => {
    const s = await testSecrets();
    const v13 = exampleValues('prod') as Record<string, any>;
    const v14 = structuredClone(v13);
    v14.cluster.talosVersion = 'v1.14.1';
    v14.cluster.contract = '1.14';
    const old = parseAllDocuments(renderStack(validateValues('prod', v13, { today: TODAY }), s).nodes[0].config).map((d) => d.toJS());
    const neu = parseAllDocuments(renderStack(validateValues('prod', v14, { today: TODAY }), s).nodes[0].config).map((d) => d.toJS());
    const kind = (k: string) => neu.find((d) => d.kind === k);
    // Talos 1.13 encrypts with secretbox under key name key2 (k8stemplates/apiserver.go); 1.14 must keep both.
    const enc = kind('KubeEtcdEncryptionConfig').config.resources[0].providers[0].secretbox.keys[0];
    expect(enc).toEqual({ name: 'key2', secret: old[0].cluster.secretboxEncryptionSecret });
    expect(kind('KubeAPIServerCAConfig').issuingCA).toEqual({ cert: fromB64(s.certs.k8s.crt), key: fromB64(s.certs.k8s.key) });
    expect(kind('KubeAggregatorCAConfig').issuingCA.cert).toBe(fromB64(old[0].cluster.aggregatorCA.crt));
    expect(kind('KubeServiceAccountConfig').issuer.privateKey).toBe(fromB64(old[0].cluster.serviceAccount.key));
    expect(Buffer.from(kind('DiscoveryIdentityConfig').clusterID, 'base64')).toEqual(Buffer.from(old[0].cluster.id.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
    expect(kind('DiscoveryIdentityConfig').clusterSecret).toBe(old[0].cluster.secret);
    expect(neu[0].machine.ca).toEqual(old[0].machine.ca);
    expect(neu[0].cluster.etcd.ca).toEqual(old[0].cluster.etcd.ca);
    expect(neu[0].cluster.token).toBe(old[0].cluster.token);
  });

  it('re-encodes the URL-safe cluster id as standard base64 without changing its bytes', () => {
    const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 250) % 256));
    const url = bytes.toString('base64url') + '=';
    expect(Buffer.from(clusterIdStd(url), 'base64')).toEqual(bytes);
    expect(clusterIdStd(url)).toBe(bytes.toString('base64'));
  });

  it('generated secrets have the shapes Talos expects', async () => {
    const s = await testSecrets();
    expect(s.secrets.bootstraptoken).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(s.trustdinfo.token).toMatch(/^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    expect(Buffer.from(s.secrets.secretboxencryptionsecret, 'base64')).toHaveLength(32);
    expect(fromB64(s.certs.os.key)).toMatch(/^-----BEGIN ED25519 PRIVATE KEY-----/);
    expect(fromB64(s.certs.k8s.key)).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
    expect(fromB64(s.certs.k8sserviceaccount.key)).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const { X509Certificate } = await import('node:crypto');
    const os = new X509Certificate(fromB64(s.certs.os.crt));
    const admin = new X509Certificate(fromB64(s.clients.talosAdmin.crt));
    expect(os.ca).toBe(true);
    expect(admin.subject).toBe('O=os:admin');
    expect(admin.verify(os.publicKey)).toBe(true);
    expect(new X509Certificate(fromB64(s.certs.etcd.crt)).subject).toBe('O=etcd');
  });
});

describe('Image Factory schematics', () => {
  // Test vectors from siderolabs/image-factory pkg/schematic/schematic_test.go and its docs.
  it.each([
    [{ customization: {} }, '376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba'],
    [{ customization: { extraKernelArgs: ['noapic', 'nolapic'] } }, '9cba8e32753f91a16c1837ab8abf356af021706ef284aef07380780177d9a06c'],
    [{ customization: { systemExtensions: { officialExtensions: ['siderolabs/qemu-guest-agent'] } } }, 'ce4c980550dd2ab1b17bbf2b08801c7eb59418eafe8f279833297925d67c7515'],
    [{ customization: { secureboot: { includeWellKnownCertificates: true } } }, 'fa8e05f142a851d3ee568eb0a8e5841eaf6b0ebc8df9a63df16ac5ed2c04f3e6'],
  ])('computes the Image Factory id of %j', (s, id) => {
    expect(schematicId(s)).toBe(id);
  });

  it('sandbox nodes get the gVisor extension and their own schematic; installer refs follow Talos ≥ 1.10 naming', async () => {
    const r = renderStack(example('saas'), await testSecrets());
    const sandbox = r.nodes.find((n) => n.name === 'saas-sandbox-1')!;
    const cp = r.nodes.find((n) => n.name === 'saas-cp-1')!;
    expect(sandbox.schematicId).not.toBe(cp.schematicId);
    expect(r.schematics.get(sandbox.schematicId)).toContain('- siderolabs/gvisor');
    expect(r.schematics.get(cp.schematicId)).not.toContain('gvisor');
    expect(sandbox.installer).toBe(`factory.talos.dev/metal-installer/${sandbox.schematicId}:v1.14.1`);
    const s = schematicFor(['init_on_free=1'], ['siderolabs/gvisor']);
    expect(schematicYaml(s)).toBe('customization:\n    extraKernelArgs:\n        - init_on_free=1\n    systemExtensions:\n        officialExtensions:\n            - siderolabs/gvisor\n');
  });

  it('edge nodes boot the SecureBoot installer and encrypt STATE and EPHEMERAL with the TPM', async () => {
    const r = renderStack(example('edge-store'), await testSecrets());
    expect(r.nodes[0].installer).toBe(installerImage(r.nodes[0].schematicId, 'v1.14.1', true));
    expect(r.nodes[0].installer).toMatch(/^factory\.talos\.dev\/metal-installer-secureboot\//);
    const docs = parseAllDocuments(r.nodes[0].config).map((d) => d.toJS());
    const vols = docs.filter((d) => d.kind === 'VolumeConfig');
    expect(vols.map((v) => v.name)).toEqual(['STATE', 'EPHEMERAL']);
    expect(vols[0].encryption.keys[0].tpm).toEqual({ checkSecurebootStatusOnEnroll: true });
    expect(docs.find((d) => d.kind === 'KubeSpanConfig')).toMatchObject({ enabled: true });
    // one node: the control plane must run the workloads, so it carries no NoSchedule taint
    expect(docs.find((d) => d.kind === 'KubeNodeConfig').taints).toEqual({});
  });
});

describe('rollout settings', () => {
  it('the edge overlay makes upgrades conservative whatever the stack asks', async () => {
    const v = structuredClone(exampleValues('edge-store')) as Record<string, any>;
    v.operations = { workerBatchSize: 5, healthTimeout: '5m' };
    const r = renderStack(validateValues('edge-store', v, { today: TODAY }), await testSecrets());
    expect(r.operations).toEqual({ workerBatchSize: 1, healthTimeout: '20m', resetOnDestroy: false });
    const d = structuredClone(exampleValues('prod')) as Record<string, any>;
    d.operations = { workerBatchSize: 5, healthTimeout: '5m' };
    expect(renderStack(validateValues('prod', d, { today: TODAY }), await testSecrets()).operations).toEqual({ workerBatchSize: 5, healthTimeout: '5m', resetOnDestroy: false });
  });
});
