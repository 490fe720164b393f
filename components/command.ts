/**
 * local.Command arguments from a core CommandSpec (core/talos/commands.ts): the fixed scripts
 * verbatim, the values only in `environment`, secrets only in `stdin`.
 */
import * as pulumi from '@pulumi/pulumi';
import type { local } from '@pulumi/command';
import { CommandSpec, INTERPRETER } from '../core/talos/commands';

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
