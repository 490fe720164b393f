/**
 * The Image Factory: registration of every schematic against a stand-in factory on loopback that computes
 * ids by the factory's own rules (test/factory-server: yaml.v3, as siderolabs/image-factory
 * pkg/schematic), the boot media of each node, and `bulwark:imageFactory`.
 */
import { createServer } from 'node:net';
import { schematicProvider } from '../components/factory';
import { StackConfigError } from '../core/config/errors';
import { renderStack, renderedFiles } from '../core/render/index';
import { validateValues } from '../core/stack';
import { Factory, startFactory } from './factory-server';
import { EXAMPLES, TODAY, example, exampleValues, testSecrets } from './helpers';

jest.setTimeout(120_000);

const register = (factory: string, schematicId: string, yaml: string) => schematicProvider.create!({ factory, schematicId, yaml });

let factory: Factory;
beforeAll(async () => {
  factory = await startFactory();
});
afterAll(() => factory?.stop());

describe('the stand-in factory follows the factory\'s rules, not Bulwark\'s', () => {
  // expected ids: siderolabs/image-factory pkg/schematic/schematic_test.go
  it.each([
    ['{}', '376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba'],
    ['{"customization": {"extraKernelArgs": ["noapic", "nolapic"], "systemExtensions": {}}}', '9cba8e32753f91a16c1837ab8abf356af021706ef284aef07380780177d9a06c'],
    ['{"customization":{"secureboot": {"includeWellKnownCertificates": true}}}', 'fa8e05f142a851d3ee568eb0a8e5841eaf6b0ebc8df9a63df16ac5ed2c04f3e6'],
  ])('%s → the upstream id', async (body, id) => {
    const res = await fetch(`${factory.url}/schematics`, { method: 'POST', body });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { id: string }).id).toBe(id);
  });
});

describe('registration', () => {
  it.each([...EXAMPLES])('every schematic of stack %s registers under the id computed offline', async (name) => {
    const r = renderStack(example(name), await testSecrets());
    expect(r.schematics.size).toBeGreaterThan(0);
    for (const [id, yaml] of r.schematics) await expect(register(factory.url, id, yaml)).resolves.toEqual({ id, outs: { factory: factory.url, schematicId: id, yaml } });
    expect(factory.log()).toContain('POST /schematics content-type=application/yaml');
  });

  it('fails, naming both ids, when the factory returns another id (a factory that adds an owner)', async () => {
    const owned = await startFactory({ FACTORY_OWNER: 'someone@example.com' });
    try {
      const [[id, yaml]] = [...renderStack(example('lab'), await testSecrets()).schematics];
      await expect(register(owned.url, id, yaml)).rejects.toThrow(new RegExp(`registered the schematic as [0-9a-f]{64}, but Bulwark computed ${id} offline`));
    } finally {
      owned.stop();
    }
  });

  it('a computed id that does not match the YAML fails too (the check is not a rubber stamp)', async () => {
    const [[, yaml]] = [...renderStack(example('lab'), await testSecrets()).schematics];
    await expect(register(factory.url, '0'.repeat(64), yaml)).rejects.toThrow(/but Bulwark computed 0{64} offline/);
  });

  it('reports what the factory refused, and a factory it cannot reach', async () => {
    await expect(register(factory.url, '0'.repeat(64), 'customization:\n    bogus: 1\n')).rejects.toThrow(/answered POST \/schematics with HTTP 400: [\s\S]*field bogus not found/);
    // a loopback port nobody listens on
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    await expect(register(`http://127.0.0.1:${port}`, '0'.repeat(64), '{}')).rejects.toThrow(new RegExp(`cannot reach the Image Factory at http://127.0.0.1:${port} to register schematic 0{64}`));
  });

  it('a new factory URL, id or YAML replaces the registration (registers again there)', async () => {
    const olds = { factory: 'https://a.example.com', schematicId: 'x', yaml: 'y' };
    expect(await schematicProvider.diff!('x', olds, { ...olds, factory: 'https://b.example.com' })).toMatchObject({ changes: true, replaces: ['factory'] });
    expect(await schematicProvider.diff!('x', olds, { ...olds })).toMatchObject({ changes: false, replaces: [] });
  });
});

describe('boot media', () => {
  it('every node gets the ISO, raw disk image and PXE assets of its schematic and Talos version', async () => {
    const r = renderStack(example('lab'), await testSecrets());
    const n = r.nodes[0];
    const base = `https://factory.talos.dev/image/${n.schematicId}/v1.14.1`;
    expect(n.bootMedia).toEqual({
      iso: `${base}/metal-amd64.iso`,
      rawDisk: `${base}/metal-amd64.raw.xz`,
      pxe: {
        ipxeScript: `https://factory.talos.dev/pxe/${n.schematicId}/v1.14.1/metal-amd64`,
        kernel: `${base}/kernel-amd64`,
        initramfs: `${base}/initramfs-amd64.xz`,
        cmdline: `${base}/cmdline-metal-amd64`,
      },
    });
    const file = renderedFiles(r).find((f) => f.path === 'boot-media.json')!;
    expect(file.secret).toBe(false);
    expect(JSON.parse(file.content)[n.name]).toEqual({ schematic: n.schematicId, installer: n.installer, ...n.bootMedia });
  });

  it('SecureBoot nodes (edge) get the signed ISO, disk image and UKI, no separate kernel', async () => {
    const r = renderStack(example('edge-store'), await testSecrets());
    const n = r.nodes[0];
    const base = `https://factory.talos.dev/image/${n.schematicId}/v1.14.1`;
    expect(n.installer).toMatch(/\/metal-installer-secureboot\//);
    expect(n.bootMedia).toEqual({
      iso: `${base}/metal-amd64-secureboot.iso`,
      rawDisk: `${base}/metal-amd64-secureboot.raw.xz`,
      pxe: { ipxeScript: `https://factory.talos.dev/pxe/${n.schematicId}/v1.14.1/metal-amd64-secureboot`, uki: `${base}/metal-amd64-secureboot-uki.efi`, cmdline: `${base}/cmdline-metal-amd64-secureboot` },
    });
  });

  it('bulwark:imageFactory moves installers and boot media to a site\'s own factory', async () => {
    const v = exampleValues('lab');
    v.imageFactory = 'https://factory.lab.example.com:8443';
    const r = renderStack(validateValues('lab', v, { today: TODAY }), await testSecrets());
    expect(r.nodes[0].installer).toBe(`factory.lab.example.com:8443/metal-installer/${r.nodes[0].schematicId}:v1.14.1`);
    expect(r.nodes[0].config).toContain(`factory.lab.example.com:8443/metal-installer/${r.nodes[0].schematicId}:v1.14.1`);
    expect(JSON.stringify(r.nodes.map((n) => n.bootMedia))).not.toContain('factory.talos.dev');
  });

  it('bulwark:imageFactory must be an https origin', () => {
    const problems = (url: string) => {
      const v = exampleValues('lab');
      v.imageFactory = url;
      try {
        validateValues('lab', v, { today: TODAY });
        return [];
      } catch (e) {
        return (e as StackConfigError).problems;
      }
    };
    expect(problems('http://factory.example.com')).toEqual([{ path: 'bulwark:imageFactory', message: expect.stringMatching(/uses http; .* must be https/) }]);
    expect(problems('https://factory.example.com/talos')).toEqual([{ path: 'bulwark:imageFactory', message: expect.stringMatching(/has a path; give the factory's origin only/) }]);
  });
});
