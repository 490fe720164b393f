/**
 * render and rotate-encryption-key touch nothing outside <out>/<stack>/: a stack file named
 * "...yaml" (stack "..") once made render replace the folder holding out/, and "Pulumi..yaml"
 * (stack ".") replaced out/ itself with every stack's secrets. Each hostile name or link is
 * refused with exit 2 and a clear message, and everything outside is left as it was.
 */
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as render } from '../cli/render';
import { run as rotate } from '../cli/rotate-encryption-key';
import { REPO_ROOT } from '../core/stack';

async function cli(fn: (argv: string[]) => number | Promise<number>, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    return { code: await fn(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** Every file and link under dir, with its content or target: what "left as it was" compares. */
function snapshot(dir: string): Record<string, string> {
  const all: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) all[p] = `-> ${readlinkSync(p)}`;
      else if (st.isDirectory()) walk(p);
      else all[p] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return all;
}

beforeAll(() => {
  process.env.BULWARK_TODAY = '2026-11-26';
});

/** A checkout-like folder: a canary file, out/ with another stack's secrets, and the lab stack file. */
function sandbox() {
  const root = mkdtempSync(join(tmpdir(), 'bulwark-outdir-'));
  const checkout = join(root, 'checkout');
  mkdirSync(join(checkout, 'out', 'other'), { recursive: true });
  writeFileSync(join(checkout, 'README.md'), 'the checkout\n');
  writeFileSync(join(checkout, 'out', 'other', 'posture.json'), '{}\n');
  writeFileSync(join(checkout, 'out', 'other', 'secrets.yaml'), 'another stack\'s secrets\n');
  const victim = join(root, 'victim');
  mkdirSync(victim);
  writeFileSync(join(victim, 'keep.txt'), 'outside <out>\n');
  const lab = readFileSync(join(REPO_ROOT, 'stacks/Pulumi.lab.yaml'), 'utf8');
  const stackFile = (name: string) => {
    const f = join(root, name);
    writeFileSync(f, lab);
    return f;
  };
  return { root, checkout, out: join(checkout, 'out'), victim, stackFile };
}

describe('render writes and removes only inside <out>/<stack>/', () => {
  it.each([
    ['...yaml', '".."'],
    ['Pulumi..yaml', '""'],
    ['Pulumi...yaml', '"."'],
    ['Pulumi....yaml', '".."'],
    ['.hidden.yaml', '".hidden"'],
    ['Pulumi.-x.yaml', '"-x"'],
    ['Pulumi.a b.yaml', '"a b"'],
  ])('a stack file named %s: exit 2, nothing removed or written', async (file, name) => {
    const s = sandbox();
    const before = snapshot(s.root);
    const r = await cli(render, ['--stack-file', s.stackFile(file), '--out', s.out]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--stack-file: ${JSON.stringify(file)} gives the stack name ${name}, which is not a stack name`);
    expect(r.err).toContain('starts with a letter or digit');
    expect(r.out).toBe('');
    const after = snapshot(s.root);
    delete after[join(s.root, file)];
    expect(after).toEqual(before);
  });

  it('--stack with a separator or dots: exit 2 (render and rotate-encryption-key alike)', async () => {
    const s = sandbox();
    writeFileSync(join(s.checkout, 'secrets.yaml'), 'not a bundle the rotation may rewrite\n');
    const before = snapshot(s.root);
    for (const stack of ['..', '.', '../other', 'a/b', 'a\\b'])
      expect((await cli(render, ['--stack', stack, '--out', s.out])).code).toBe(2);
    for (const stack of ['..', '../other', '.']) {
      const r = await cli(rotate, ['--stack', stack, '--begin', '--out', s.out]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/--stack: ".*" is not a stack name/);
    }
    expect(snapshot(s.root)).toEqual(before);
  });

  it('<out>/<stack> a link to a folder elsewhere: exit 2, the link and its target untouched', async () => {
    const s = sandbox();
    symlinkSync(s.victim, join(s.out, 'lab'));
    const before = snapshot(s.root);
    const r = await cli(render, ['--stack-file', s.stackFile('Pulumi.lab.yaml'), '--out', s.out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/out\/lab is a symbolic link; render replaces <out>\/<stack>\/ as a whole/);
    const after = snapshot(s.root);
    delete after[join(s.root, 'Pulumi.lab.yaml')];
    expect(after).toEqual(before);
  });

  it('<out>/<stack>/secrets.yaml a link: exit 2 (it would be replaced by a copy of the secrets)', async () => {
    const s = sandbox();
    mkdirSync(join(s.out, 'lab'));
    writeFileSync(join(s.out, 'lab', 'posture.json'), '{}\n');
    symlinkSync(join(s.victim, 'keep.txt'), join(s.out, 'lab', 'secrets.yaml'));
    const before = snapshot(s.root);
    const r = await cli(render, ['--stack-file', s.stackFile('Pulumi.lab.yaml'), '--out', s.out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/secrets\.yaml is a symbolic link/);
    expect(r.err).toMatch(/--secrets <path>/);
    const after = snapshot(s.root);
    delete after[join(s.root, 'Pulumi.lab.yaml')];
    expect(after).toEqual(before);
  });

  it('a folder that is not an earlier render (e.g. --out . with a stack named like a folder): exit 2, left alone', async () => {
    const s = sandbox();
    mkdirSync(join(s.checkout, 'stacks'));
    writeFileSync(join(s.checkout, 'stacks', 'Pulumi.prod.yaml'), 'precious\n');
    const before = snapshot(s.root);
    const r = await cli(render, ['--stack-file', s.stackFile('stacks.yaml'), '--out', s.checkout]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/checkout\/stacks exists and is not an earlier render \(it has no posture\.json\)/);
    const after = snapshot(s.root);
    delete after[join(s.root, 'stacks.yaml')];
    expect(after).toEqual(before);
  });

  it('a link planted at the temporary folder is removed, never followed; the render lands in <out>/<stack>', async () => {
    const s = sandbox();
    symlinkSync(s.victim, join(s.out, `.lab.tmp-${process.pid}`));
    const r = await cli(render, ['--stack-file', s.stackFile('Pulumi.lab.yaml'), '--out', s.out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(snapshot(s.victim)).toEqual({ [join(s.victim, 'keep.txt')]: 'outside <out>\n' });
    expect(readFileSync(join(s.out, 'other', 'secrets.yaml'), 'utf8')).toBe('another stack\'s secrets\n');
    expect(existsSync(join(s.out, 'lab', 'posture.json'))).toBe(true);
    expect(lstatSync(join(s.out, 'lab', 'secrets.yaml')).isFile()).toBe(true);
    // and an earlier render is replaced as before, its secrets reused byte for byte
    const secrets = readFileSync(join(s.out, 'lab', 'secrets.yaml'), 'utf8');
    cpSync(join(s.out, 'lab'), join(s.root, 'copy'), { recursive: true });
    const again = await cli(render, ['--stack-file', join(s.root, 'Pulumi.lab.yaml'), '--out', s.out]);
    expect(again.code).toBe(0);
    expect(readFileSync(join(s.out, 'lab', 'secrets.yaml'), 'utf8')).toBe(secrets);
  });
});
