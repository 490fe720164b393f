/** The render CLI: files and modes, secrets generated once and reused, exit codes, nothing half-written. */
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { run } from '../cli/render';
import { readSecretsFile } from '../cli/secrets-file';
import { quarterlyAdminClient } from '../core/secrets/admin-client';
import { REPO_ROOT } from '../core/stack';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    const code = await run(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const mode = (p: string) => statSync(p).mode & 0o777;

beforeAll(() => {
  process.env.BULWARK_TODAY = '2026-11-26';
});

describe('npm run render', () => {
  const out = mkdtempSync(join(tmpdir(), 'bulwark-cli-'));

  it('renders the lab stack: node configs, talosconfig, schematics, cluster objects, posture; secrets 0600', async () => {
    const r = await cli(['--stack', 'lab', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/rendered stack lab/);
    expect(r.out).toMatch(/profile: {2}single-team/);
    expect(r.out).toMatch(/controls: \d+ enforced, 3 waived/);
    expect(r.out).toMatch(/secrets: {2}generated \(secrets.yaml, mode 0600\)/);
    const dir = join(out, 'lab');
    expect(readdirSync(join(dir, 'nodes')).sort()).toEqual(['lab-cp-1.yaml', 'lab-worker-1.yaml']);
    for (const f of ['talosconfig', 'kubeconfig', 'posture.md', 'posture.json', 'cluster/cluster.yaml', 'cluster/tenant-apps.yaml']) expect(existsSync(join(dir, f))).toBe(true);
    expect(readdirSync(join(dir, 'schematics'))).toHaveLength(1);
    expect(mode(join(dir, 'secrets.yaml'))).toBe(0o600);
    expect(mode(join(dir, 'talosconfig'))).toBe(0o600);
    expect(mode(join(dir, 'nodes/lab-cp-1.yaml'))).toBe(0o600);
    // nothing secret is printed
    expect(r.out).not.toMatch(/PRIVATE KEY|LS0tLS1/);
  });

  it('reuses secrets.yaml on the next run: same bytes out', async () => {
    const before = readFileSync(join(out, 'lab/nodes/lab-cp-1.yaml'), 'utf8');
    const secrets = readFileSync(join(out, 'lab/secrets.yaml'), 'utf8');
    const r = await cli(['--stack', 'lab', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/secrets: {2}reused/);
    expect(readFileSync(join(out, 'lab/secrets.yaml'), 'utf8')).toBe(secrets);
    expect(readFileSync(join(out, 'lab/nodes/lab-cp-1.yaml'), 'utf8')).toBe(before);
  });

  it('the talosconfig carries this quarter\'s admin client certificate, re-issued from the bundle\'s OS CA', async () => {
    const bundle = readSecretsFile(join(out, 'lab/secrets.yaml'));
    const admin = await quarterlyAdminClient(bundle, new Date('2026-11-26T00:00:00Z'));
    const tc = parse(readFileSync(join(out, 'lab/talosconfig'), 'utf8')) as { contexts: Record<string, { crt: string; key: string }> };
    expect(Object.values(tc.contexts).map((c) => [c.crt, c.key])).toEqual([[admin.crt, admin.key]]);
  });

  it('takes --secrets and --stack-file', async () => {
    const other = mkdtempSync(join(tmpdir(), 'bulwark-cli-'));
    const stackFile = join(other, 'my-stack.yaml');
    cpSync(join(REPO_ROOT, 'stacks/Pulumi.prod.yaml'), stackFile);
    const r = await cli(['--stack-file', stackFile, '--out', other, '--secrets', join(out, 'lab/secrets.yaml')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const labSecrets = parse(readFileSync(join(out, 'lab/secrets.yaml'), 'utf8'));
    const cp = parse(readFileSync(join(other, 'my-stack/nodes/prod-cp-1.yaml'), 'utf8').split('---\n')[0]);
    expect(cp.cluster.ca.crt).toBe(labSecrets.certs.k8s.crt);
    expect(existsSync(join(other, 'my-stack/secrets.yaml'))).toBe(false); // the given file is not copied around
  });

  it('exit 2 on invalid input, every problem on stderr, nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-'));
    const stackFile = join(dir, 'Pulumi.bad.yaml');
    writeFileSync(stackFile, readFileSync(join(REPO_ROOT, 'stacks/Pulumi.lab.yaml'), 'utf8').replace('profile: single-team', 'profile: nope').replace('name: lab-worker-1', 'name: Lab_Worker'));
    const r = await cli(['--stack-file', stackFile, '--out', dir]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/stack "bad" is invalid \(2 problems\)/);
    expect(r.err).toMatch(/bulwark:profile: is "nope"/);
    expect(r.err).toMatch(/bulwark:nodes\[1\]\.name: "Lab_Worker"/);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    expect(readdirSync(dir)).toEqual(['Pulumi.bad.yaml']);
  });

  it('exit 2 on a missing stack or bad arguments; 2 on a broken secrets file', async () => {
    expect((await cli(['--stack', 'does-not-exist', '--out', out])).code).toBe(2);
    const both = await cli(['--stack', 'lab', '--stack-file', 'x']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/exactly one of --stack or --stack-file/);
    expect((await cli(['--stack', 'lab', '--bogus'])).code).toBe(2);
    const bad = join(out, 'bad-secrets.yaml');
    writeFileSync(bad, 'cluster: {}\n');
    const r = await cli(['--stack', 'lab', '--out', out, '--secrets', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a usable secrets bundle/);
    expect(r.err).not.toMatch(/LS0t/);
  });
});
