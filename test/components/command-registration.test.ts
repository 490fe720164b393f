/**
 * LocalCommand (components/command.ts) registers what @pulumi/command's local.Command registers —
 * the whole RegisterResourceRequest the engine receives, options included — while keeping as
 * properties only the inputs it was given (the SDK's per-property cost, bench/program.bench.ts).
 */
import * as pulumi from '@pulumi/pulumi';
import { local } from '@pulumi/command';
import { LocalCommand, commandArgs } from '../../components/command';
import { provisionCommand } from '../../core/talos/commands';

/** Every registration request as the monitor receives it, as a plain object. */
async function requests(construct: () => void): Promise<Record<string, unknown>[]> {
  const seen: Record<string, unknown>[] = [];
  await pulumi.runtime.setMocks({ newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }), call: (a) => a.inputs }, 'bulwark', 'test', false);
  const monitor = (pulumi.runtime as unknown as { getMonitor(): Record<string, (req: any, cb: any) => unknown> }).getMonitor();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, cb: any) => {
    seen.push(req.toObject());
    return register(req, cb);
  };
  await pulumi.runtime.runInPulumiStack(async () => {
    construct();
    return {};
  });
  await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
  return seen;
}

/** A request without what differs by construction site and name. */
const comparable = (r: Record<string, unknown>) => {
  const { name, sourceposition, stacktrace, ...rest } = r;
  void name, sourceposition, stacktrace;
  return rest;
};

test('the same registration request as local.Command, for a command with secret stdin, ignoreChanges, secret outputs and dependencies', async () => {
  const make = (Cls: new (n: string, a: local.CommandArgs, o: pulumi.CustomResourceOptions) => pulumi.CustomResource, name: string) => {
    const dep = new pulumi.ComponentResource('test:dep:Dep', `${name}-dep`);
    const args = commandArgs(provisionCommand({ address: '10.0.0.1' }), { stdin: pulumi.secret('machine: {}'), logging: 'none', addPreviousOutputInEnv: false });
    new Cls(name, args, { dependsOn: [dep], ignoreChanges: ['stdin'], additionalSecretOutputs: ['stdout', 'stderr'], deleteBeforeReplace: true });
  };
  const command = (rs: Record<string, unknown>[]) => rs.find((r) => r.name === 'n')!;
  const real = command(await requests(() => make(local.Command, 'n')));
  const lean = command(await requests(() => make(LocalCommand, 'n')));
  expect(real.type).toBe('command:local:Command');
  expect(real.version).toBe(require('@pulumi/command/package.json').version);
  expect((real.replaceonchangesList as string[])).toEqual(['triggers[*]']);
  expect(comparable(lean)).toEqual(comparable(real));
});

test('only the given inputs become properties (local.Command declares all sixteen)', async () => {
  let real: pulumi.CustomResource | undefined;
  let lean: pulumi.CustomResource | undefined;
  const args = commandArgs(provisionCommand({ address: '10.0.0.1' }), { stdin: 'x', logging: 'none' });
  await requests(() => {
    real = new local.Command('a', args);
    lean = new LocalCommand('b', args);
  });
  const props = (r: pulumi.CustomResource) => Object.keys(r).filter((k) => pulumi.Output.isInstance((r as unknown as Record<string, unknown>)[k]) && k !== 'urn' && k !== 'id');
  expect(props(real!)).toContain('archive');
  expect(props(lean!).sort()).toEqual(Object.keys(args).sort());
  expect(props(lean!).length).toBeLessThan(props(real!).length);
});
