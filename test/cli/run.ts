/** Runs `bulwark …` in-process with its output captured (the same program bin/bulwark.js runs). */
import type { Talosctl } from '../../cli/io';
import { bulwark } from '../../cli/main';
import { REPO_ROOT } from '../../core/stack';

export async function cli(args: string[], io: { cwd?: string; stdin?: string; talosctl?: Talosctl; tty?: boolean; now?: () => Date } = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await bulwark(args, {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    cwd: io.cwd ?? REPO_ROOT,
    tty: io.tty ?? false,
    ...(io.now ? { now: io.now } : {}),
    stdin: () => io.stdin ?? '',
    talosctl: io.talosctl,
  });
  return { code, out, err };
}
