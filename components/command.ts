/**
 * local.Command arguments from a core CommandSpec (core/talos/commands.ts): the fixed scripts
 * verbatim, the values only in `environment`, secrets only in `stdin`.
 */
import * as pulumi from '@pulumi/pulumi';
import { local } from '@pulumi/command';
import { getVersion } from '@pulumi/command/utilities';
import { CommandSpec, INTERPRETER } from '../core/talos/commands';

/**
 * A `command:local:Command` registered exactly as @pulumi/command's class registers it (type token,
 * inputs, the package's plugin version, replaceOnChanges on triggers), but with only the inputs it
 * is given as properties. The class declares all 16 of its properties on every instance (stdout,
 * archive, assets, … too), and the SDK keeps an Output of five promises and a dozen closures for
 * each until registration completes: at 2,000 commands, ~100 MB of the program's peak memory
 * (bench/program.bench.ts). Nothing here reads a command's outputs; the engine, the provider and
 * the state see the same registration (test/components/command-registration.test.ts).
 */
export class LocalCommand extends pulumi.CustomResource {
  constructor(name: string, args: local.CommandArgs, opts: pulumi.CustomResourceOptions = {}) {
    const inputs = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
    // The same option merges, in the same order, as local.Command's constructor.
    const merged = pulumi.mergeOptions(pulumi.mergeOptions({ version: getVersion() }, opts), { replaceOnChanges: ['triggers[*]'] });
    super((local.Command as unknown as { __pulumiType: string }).__pulumiType, name, inputs, merged);
  }
}

export interface CommandExtras {
  /** Secret input (talosconfig, machine configuration); always passed through pulumi.secret. */
  stdin?: pulumi.Input<string>;
  /** Environment values known only as Outputs (plain digests); keys must already be in the spec. */
  environment?: Record<string, pulumi.Input<string>>;
  /** What the provider logs; 'none' for commands whose output may carry secrets. */
  logging?: 'stdout' | 'stderr' | 'stdoutAndStderr' | 'none';
  /** Inject the previous stdout/stderr as PULUMI_COMMAND_STDOUT/STDERR (off where they are secret). */
  addPreviousOutputInEnv?: boolean;
}

export function commandArgs(spec: CommandSpec, extras: CommandExtras = {}): local.CommandArgs {
  for (const k of Object.keys(extras.environment ?? {}))
    if (!(k in spec.environment)) throw new Error(`environment key ${k} is not one the command's script reads`);
  return {
    interpreter: [...INTERPRETER],
    ...(spec.create !== undefined ? { create: spec.create } : {}),
    ...(spec.update !== undefined ? { update: spec.update } : {}),
    ...(spec.delete !== undefined ? { delete: spec.delete } : {}),
    environment: { ...spec.environment, ...(extras.environment ?? {}) },
    ...(extras.stdin !== undefined ? { stdin: pulumi.secret(extras.stdin) } : {}),
    logging: extras.logging ?? 'stdoutAndStderr',
    addPreviousOutputInEnv: extras.addPreviousOutputInEnv ?? true,
  };
}
