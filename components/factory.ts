/**
 * bulwark:talos:Schematics — registers every schematic of the stack with the Image Factory
 * (`bulwark:imageFactory`) before any node is installed, and fails the update when the factory
 * returns another id than the one computed offline (core/render/schematic.ts registrationProblem):
 * every installer image and boot-media URL carries that id.
 *
 * One dynamic resource per schematic, named by its id. Its create() runs only on `pulumi up`, so a
 * preview never needs the factory (an air-gapped laptop, a factory not reachable from CI). A new
 * factory URL replaces it (registers again there); removing it does nothing (the factory keeps
 * schematics, and another stack may use the same one).
 *
 * As in components/secrets.ts, Pulumi serializes the provider into state and runs it in its own
 * Node process: it captures only two relative paths and loads the pure request/answer code there.
 */
import * as pulumi from '@pulumi/pulumi';

const SCHEMATIC = 'core/render/schematic.ts';
const TSCONFIG = 'tsconfig.json';

export interface SchematicInputs {
  factory: string;
  /** The id computed offline (not `id`: a resource's id is Pulumi's). */
  schematicId: string;
  yaml: string;
}

type Core = typeof import('../core/render/schematic');

export const schematicProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: SchematicInputs) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { resolve } = require('node:path') as typeof import('node:path');
    if (require.extensions['.ts'] === undefined) require('ts-node').register({ transpileOnly: true, project: resolve(TSCONFIG) });
    const core = require(resolve(SCHEMATIC)) as Core;
    /* eslint-enable @typescript-eslint/no-require-imports */
    const req = core.registrationRequest(inputs.factory, inputs.yaml);
    let status: number;
    let body: string;
    try {
      const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, redirect: 'error', signal: AbortSignal.timeout(60_000) });
      status = res.status;
      body = await res.text();
    } catch (e) {
      throw new Error(`cannot reach the Image Factory at ${inputs.factory} to register schematic ${inputs.schematicId}: ${(e as Error).message}; check bulwark:imageFactory and that this machine can reach it`);
    }
    const problem = core.registrationProblem(inputs.factory, inputs.schematicId, status, body);
    if (problem) throw new Error(problem);
    return { id: inputs.schematicId, outs: { ...inputs } };
  },
  async diff(_id: string, olds: SchematicInputs, news: SchematicInputs) {
    const replaces = (['factory', 'schematicId', 'yaml'] as const).filter((k) => olds[k] !== news[k]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: false };
  },
};

class SchematicRegistration extends pulumi.dynamic.Resource {
  constructor(name: string, inputs: SchematicInputs, opts: pulumi.CustomResourceOptions) {
    super(schematicProvider, name, inputs, opts, 'bulwark', 'FactorySchematic');
  }
}

export interface SchematicsArgs {
  factory: string;
  /** id → canonical YAML (RenderedStack.schematics). */
  schematics: Map<string, string>;
}

export class Schematics extends pulumi.ComponentResource {
  /** The registration of each schematic, by id. */
  readonly byId: Map<string, SchematicRegistration>;

  constructor(name: string, args: SchematicsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super('bulwark:talos:Schematics', name, {}, opts);
    this.byId = new Map(
      [...args.schematics].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, yaml]) => [id, new SchematicRegistration(`schematic-${id.slice(0, 16)}`, { factory: args.factory, schematicId: id, yaml }, { parent: this })]),
    );
    this.registerOutputs({ ids: [...this.byId.keys()] });
  }

  /** The value, once the schematics are registered: a resource taking it as input depends on their registration. */
  after<T>(ids: string[], value: pulumi.Output<T>): pulumi.Output<T> {
    const regs = ids.map((id) => {
      const r = this.byId.get(id);
      if (!r) throw new Error(`schematic ${id} is not among the stack's schematics`);
      return r.id;
    });
    return pulumi.all([value as pulumi.Output<unknown>, ...regs]).apply(([v]) => v as T);
  }
}
