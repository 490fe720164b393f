/**
 * The Image Factory registration (components/factory.ts) under the real engine: its dynamic provider is
 * serialized into state and run by `pulumi-resource-pulumi-nodejs`, as on a real `pulumi up`. A preview
 * needs no factory; an up registers every schematic with the stand-in factory on loopback
 * (test/factory-server, ids by the factory's own rules); a factory answering another id fails the up.
 */
import { createServer } from 'node:net';
import { renderStack } from '../../core/render/index';
import { Factory, startFactory } from '../factory-server';
import { example, testSecrets } from '../helpers';
import { collector, copyExample, engineFile, openStack, timed } from './engine';

let factory: Factory;
let owned: Factory;
const { eng, project } = engineFile(__filename, () => {
  factory?.stop();
  owned?.stop();
});

beforeAll(async () => {
  factory = await startFactory();
  owned = await startFactory({ FACTORY_OWNER: 'someone@example.com' });
});

/** A stack whose file passes the CLI's config validation (Pulumi.yaml declares cluster and profile required). */
const open = (name: string, prog: () => Promise<void>) => {
  copyExample(project, 'lab', name);
  return openStack(eng, project, name, prog);
};

/** A program holding only the registrations of a stack's schematics, at the given factory. */
const program = (url: string, schematics: Map<string, string>) => async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Schematics } = require('../../components/factory') as typeof import('../../components/factory');
  new Schematics('schematics', { factory: url, schematics });
};

const closedPort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

test('preview needs no factory; up registers every schematic under its offline id', async () => {
  const schematics = renderStack(example('saas'), await testSecrets()).schematics;
  expect(schematics.size).toBeGreaterThan(1);
  const nowhere = `http://127.0.0.1:${await closedPort()}`;
  const offline = await open('factory-preview', program(nowhere, schematics));
  const c = collector();
  await timed('factory: preview with no factory reachable', () => offline.preview({ onEvent: c.onEvent }));
  expect(c.steps().byOp.get('create')).toEqual(expect.arrayContaining([...schematics.keys()].map((id) => `schematic-${id.slice(0, 16)}`)));

  const stack = await open('factory-up', program(factory.url, schematics));
  await timed('factory: up against the stand-in factory', () => stack.up());
  expect(factory.log().match(/POST \/schematics content-type=application\/yaml/g)).toHaveLength(schematics.size);
  const state = (await stack.exportStack()).deployment as { resources: { type: string; id?: string }[] };
  expect(state.resources.filter((r) => r.type === 'pulumi-nodejs:dynamic/bulwark:FactorySchematic').map((r) => r.id).sort()).toEqual([...schematics.keys()].sort());
});

test('an up against a factory that answers another id fails, naming both ids', async () => {
  const schematics = renderStack(example('lab'), await testSecrets()).schematics;
  const stack = await open('factory-owned', program(owned.url, schematics));
  const [id] = [...schematics.keys()];
  await expect(timed('factory: up against a factory with another id', () => stack.up())).rejects.toThrow(new RegExp(`registered the schematic as [0-9a-f]{64}, but Bulwark computed ${id} offline`));
});
