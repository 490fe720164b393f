/**
 * What every `bulwark` subcommand shares: where output goes (so tests capture it), how an error
 * becomes an exit code, and the progress lines long commands print on stderr.
 *
 * Exit codes: 0 done · 1 anything unexpected · 2 invalid input (usage, stack config, files) ·
 * 3 a gate failed (`bulwark diff --fail-on`).
 */
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { StackConfigError } from '../core/config/errors';

export const EXIT = { ok: 0, failed: 1, invalid: 2, gate: 3 } as const;

export interface Io {
  out(s: string): void;
  err(s: string): void;
  stdin(): string;
  now(): Date;
  cwd: string;
  /** Whether stderr is a terminal (progress is shown there by default). */
  tty: boolean;
  /** Runs talosctl with these arguments (restore-etcd; default: talosctl from PATH, its output shown). */
  talosctl?: Talosctl;
}

export type Talosctl = (argv: string[]) => Promise<{ code: number; stdout: string }>;

export const defaultIo = (): Io => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  stdin: () => readFileSync(0, 'utf8'),
  now: () => new Date(),
  cwd: process.cwd(),
  tty: !!process.stderr.isTTY,
});

/** Options every subcommand takes. */
export interface GlobalOptions {
  output: 'text' | 'json';
  quiet?: boolean;
  progress?: boolean;
}

/** Bad input from the user (exit 2): its message says what is wrong and what would be right. */
export class InputError extends Error {}

/** Errors that are the user's input, not a fault of the command (each module's own classes extend InputError). */
export function isInputError(e: unknown): boolean {
  if (e instanceof InputError || e instanceof StackConfigError) return true;
  if (e instanceof CommanderError) return true;
  const name = (e as Error | undefined)?.constructor?.name;
  return name === 'SecretsFileError' || name === 'OutDirError' || name === 'SourceError' || !!(e as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS');
}

/** Prints an error (as JSON on stdout with --output json) and returns its exit code. */
export function reportError(e: unknown, io: Io, g: Pick<GlobalOptions, 'output'>, command: string): number {
  const input = isInputError(e);
  const message = (e as Error).message ?? String(e);
  if (g.output === 'json') {
    const problems = e instanceof StackConfigError ? e.problems : undefined;
    io.out(`${JSON.stringify({ error: { command, kind: input ? 'invalid-input' : 'failed', message, ...(problems ? { problems } : {}) } }, null, 2)}\n`);
  } else io.err(input ? `${message}\n` : `bulwark ${command} failed: ${message}\n`);
  return input ? EXIT.invalid : EXIT.failed;
}

/** A progress reporter: `step(what)` says a stage starts; `step.count(what, done, total)` how far a long one is. */
export interface Progress {
  (step: string): void;
  count(what: string, done: number, total: number): void;
}

/** A counted stage this long, at least, is said off a terminal (shorter ones would only add noise to logs). */
export const SLOW_MS = 1000;

/**
 * Progress on stderr, never on stdout (results there stay the same bytes for the same input).
 * Steps: with --progress, or on a terminal unless --quiet or --output json. Counted stages (each
 * node of a render): on a terminal one line rewritten in place; off it, once the stage has taken
 * SLOW_MS, a line per tenth, also without --progress (a long render in a CI log does not look hung)
 * but never with --quiet or --output json.
 */
export function progress(io: Io, g: GlobalOptions): Progress {
  const on = !!g.progress || (io.tty && !g.quiet && g.output !== 'json');
  const slowToo = !g.quiet && g.output !== 'json';
  const ms = () => io.now().getTime();
  const t0 = ms();
  const stamp = () => `[bulwark ${((ms() - t0) / 1000).toFixed(1)}s]`;
  let open = false; // a rewritten terminal line awaits its newline
  let counted: { what: string; since: number; lastTenth: number; lastDraw: number } | undefined;
  const endLine = () => {
    if (open) io.err('\n');
    open = false;
  };
  const step = ((what: string) => {
    if (!on) return;
    endLine();
    io.err(`${stamp()} ${what}\n`);
  }) as Progress;
  step.count = (what, done, total) => {
    if (!on && !slowToo) return;
    const now = ms();
    if (counted?.what !== what) counted = { what, since: now, lastTenth: 0, lastDraw: -Infinity };
    const last = done >= total;
    if (on && io.tty) {
      if (!last && now - counted.lastDraw < 100) return; // redraw at most ten times a second
      counted.lastDraw = now;
      io.err(`\r${stamp()} ${what} ${done}/${total}\x1b[K`);
      open = true;
      if (last) endLine();
      return;
    }
    const tenth = total ? Math.floor((done * 10) / total) : 10;
    if (tenth === counted.lastTenth || now - counted.since < SLOW_MS) return;
    counted.lastTenth = tenth;
    io.err(`${stamp()} ${what} ${done}/${total}\n`);
  };
  return step;
}
