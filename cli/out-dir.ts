/**
 * What `npm run render` may touch: <out>/<stack>/ (replaced as a whole) and its temporary sibling
 * <out>/.<stack>.tmp-<pid>, nothing else. Every path is resolved and checked before anything is
 * removed or written: a stack name that is not one ("..", "a/b"), a link out of <out>, or a
 * folder that is not an earlier render is refused (exit 2) with nothing touched.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { stackNameProblem } from '../core/stack';
import { InputError } from './io';

export class OutDirError extends InputError {}

export interface StackOutDir {
  root: string;
  /** <out>/<stack> */
  dir: string;
  /** where the new render is written before it replaces `dir` */
  tmp: string;
}

export function stackOutDir(outRoot: string, stack: string): StackOutDir {
  const bad = stackNameProblem(stack);
  if (bad) throw new OutDirError(`refusing to write: ${bad}`);
  const root = resolve(outRoot);
  const dir = join(root, stack);
  const tmp = join(root, `.${stack}.tmp-${process.pid}`);
  // belt and braces: both must be direct children of <out>, whatever the name held
  for (const p of [dir, tmp]) if (dirname(p) !== root || basename(p) === '..' || basename(p) === '.') throw new OutDirError(`refusing to write ${p}: it is not a folder directly inside ${root}`);
  return { root, dir, tmp };
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Whether `dir` may be replaced: absent, empty, or an earlier render (it holds posture.json) that
 * is a real folder, not a link, and whose secrets.yaml, if any, is a real file. Called before the
 * secrets are read and again right before the folder is replaced.
 */
export function checkReplaceable(dir: string): void {
  const st = lstatOrUndefined(dir);
  if (!st) return;
  if (st.isSymbolicLink())
    throw new OutDirError(`${dir} is a symbolic link; render replaces <out>/<stack>/ as a whole and never follows a link out of <out>. Point --out at the real folder`);
  if (!st.isDirectory()) throw new OutDirError(`${dir} exists and is not a folder; move it away or choose another --out`);
  if (!readdirSync(dir).length) return;
  if (!lstatOrUndefined(join(dir, 'posture.json'))?.isFile())
    throw new OutDirError(`${dir} exists and is not an earlier render (it has no posture.json); render replaces the whole folder, so it leaves this one alone. Move it away or choose another --out`);
  if (lstatOrUndefined(join(dir, 'secrets.yaml'))?.isSymbolicLink())
    throw new OutDirError(`${join(dir, 'secrets.yaml')} is a symbolic link; render would replace it with a copy of the secrets. Keep the bundle where it is and pass it with --secrets <path>`);
}

/** `rel` (a rendered file's path) resolved inside `base`, or an error if it would leave it. */
export function inside(base: string, rel: string): string {
  const path = resolve(base, rel);
  const r = relative(base, path);
  if (!r || r.startsWith(`..${sep}`) || r === '..' || resolve(base, r) !== path) throw new OutDirError(`refusing to write ${rel}: it is not inside ${base}`);
  return path;
}
