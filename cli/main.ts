/**
 * The `bulwark` command: one program, a subcommand per task (cli/commands/*.ts define each one's
 * options and help; the implementations are cli/<command>.ts, loaded only when that command runs,
 * so --help and completion stay fast). bin/bulwark.js runs this file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { registerBreakGlass } from './commands/break-glass';
import { registerCatalogue } from './commands/catalogue';
import { registerCompletion } from './commands/completion';
import { registerDiff } from './commands/diff';
import { registerDrift } from './commands/drift';
import { registerImages } from './commands/images';
import { registerPosture } from './commands/posture';
import { registerRender } from './commands/render';
import { registerRestoreEtcd } from './commands/restore-etcd';
import { registerRotate } from './commands/rotate-encryption-key';
import { registerRotateCa } from './commands/rotate-ca';
import { EXIT, GlobalOptions, Io, defaultIo, reportError } from './io';

/** Global options with the Io the command writes through. */
export type Run = GlobalOptions & { io: Io };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Impl = (opts: any, g: Run, args: string[]) => number | Promise<number>;
export type Act = (name: string, fn: Impl) => (...args: unknown[]) => void | Promise<void>;

const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

export function buildProgram(io: Io, result: { code: number }): Command {
  const program = new Command('bulwark')
    .description('Hardened Kubernetes on Talos Linux, by threat model, as code: render stacks, read and diff their security posture, explain controls.')
    .version(VERSION, '-V, --version', "print Bulwark's version")
    .addOption(new Option('-o, --output <format>', 'text for people, json for machines (results and errors on stdout)').choices(['text', 'json']).default('text'))
    .option('-q, --quiet', 'no progress lines on stderr')
    .option('--progress', 'progress lines on stderr even when it is not a terminal (CI logs)')
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .addHelpText('after', '\nExit codes: 0 done, 1 unexpected failure, 2 invalid input, 3 a --fail-on gate failed (drift: 3 drift, 4 not everything could be read).\nRun `bulwark <command> --help` for a command\'s options.')
    .exitOverride();

  // Each action sets the exit code; a synchronous implementation sets it synchronously (bulwarkSync).
  const act: Act = (name, fn) => (...args): void | Promise<void> => {
    const cmd = args[args.length - 1] as Command;
    const g = { ...(cmd.optsWithGlobals() as GlobalOptions), io };
    const fail = (e: unknown) => void (result.code = reportError(e, io, g, name));
    try {
      const r = fn(cmd.opts(), g, args.slice(0, -2) as string[]);
      if (r instanceof Promise) return r.then((c) => void (result.code = c), fail);
      result.code = r;
    } catch (e) {
      fail(e);
    }
    return undefined;
  };
  for (const register of [registerRender, registerPosture, registerDiff, registerCatalogue, registerBreakGlass, registerRotate, registerRotateCa, registerImages, registerDrift, registerRestoreEtcd, registerCompletion]) register(program, act);
  for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) }).showSuggestionAfterError(true);
  return program;
}

function exitOf(e: unknown): number {
  if (!(e instanceof CommanderError)) throw e;
  // --help and --version are a success; every other parse error is invalid input
  return ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code) && e.exitCode === 0 ? EXIT.ok : EXIT.invalid;
}

/** Runs `bulwark <argv…>` and returns its exit code (nothing calls process.exit). */
export async function bulwark(argv: string[], io: Partial<Io> = {}): Promise<number> {
  const result = { code: EXIT.ok as number };
  try {
    await buildProgram({ ...defaultIo(), ...io }, result).parseAsync(argv, { from: 'user' });
  } catch (e) {
    return exitOf(e);
  }
  return result.code;
}

/** The same, for subcommands whose implementation is synchronous (images, rotate-encryption-key). */
export function bulwarkSync(argv: string[], io: Partial<Io> = {}): number {
  const result = { code: EXIT.ok as number };
  try {
    buildProgram({ ...defaultIo(), ...io }, result).parse(argv, { from: 'user' });
  } catch (e) {
    return exitOf(e);
  }
  return result.code;
}

if (require.main === module) void bulwark(process.argv.slice(2)).then((code) => process.exit(code));
