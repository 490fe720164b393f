/**
 * The node toolchain built by e2e/tools/node.sh works before any node starts: the images are reproducible OCI
 * layouts, the local registry serves them on loopback (e2e/harness/registry.ts), the test workload answers, and a
 * real containerd pulls the images from that registry with ctr (what a node does under AlwaysPullImages).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, Proc, run, start, stop, waitFor } from '../../e2e/harness/proc';
import { Registry, imageLayout, startRegistry } from '../../e2e/harness/registry';
import { findJudge } from '../../e2e/harness/tools';

function tool(name: string): string {
  const t = findJudge(name);
  if ('absent' in t) throw new Error(t.absent);
  return t.path;
}

let dir: string;
let registry: Registry | undefined;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-node-tools-'));
  registry = await startRegistry({ dir: join(dir, 'registry') });
});
afterAll(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('images', () => {
  it('are the same bytes when built again from the same files', () => {
    const built = imageLayout('testapp');
    const again = join(dir, 'again.oci');
    const r = spawnSync(tool('ociimage'), ['-out', again, '-ref', built.ref, '-entrypoint', '/testapp', '-cmd', 'serve',
      '-user', '65532:65532', '-file', `/testapp=${tool('testapp')}`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).digest).toBe(built.digest);
  });

  it('ociimage names every problem of its arguments at once', () => {
    const r = spawnSync(tool('ociimage'), ['-ref', 'no-tag'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('-out: missing');
    expect(r.stderr).toContain('-ref: "no-tag" is not repository:tag');
    expect(r.stderr).toContain('-entrypoint: missing');
    expect(r.stderr).toContain('-file: missing');
  });
});

describe('local registry', () => {
  it('serves the distribution API on loopback', async () => {
    expect(registry!.host).toMatch(/^127\.0\.0\.1:\d+$/);
    const res = await fetch(`http://${registry!.host}/v2/`);
    expect(res.status).toBe(200);
  });

  it.each(['pause', 'testapp'] as const)('serves %s with the digest of its layout and its config', async (name) => {
    const [repo, tag] = imageLayout(name).ref.split(':');
    const res = await fetch(`http://${registry!.host}/v2/${repo}/manifests/${tag}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(registry!.digests[name]);
    const cfg = await run(tool('crane'), ['config', '--insecure', registry!.images[name]]);
    const config = JSON.parse(cfg.stdout).config as { Entrypoint: string[]; User: string };
    expect(config).toMatchObject(name === 'pause'
      ? { Entrypoint: ['/pause'], User: '65535:65535' }
      : { Entrypoint: ['/testapp'], User: '65532:65532' });
  });
});

describe('testapp', () => {
  it('serves HTTP, fetches it and reports what a node check reads', async () => {
    const port = await freePort();
    const app = start('testapp', tool('testapp'), ['serve', `127.0.0.1:${port}`], join(dir, 'testapp.log'));
    try {
      await waitFor('testapp', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 10_000, app);
      const got = await run(tool('testapp'), ['get', `http://127.0.0.1:${port}/`]);
      expect(got).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ok /) });
      const refused = await run(tool('testapp'), ['get', `http://127.0.0.1:${await freePort()}/`]);
      expect(refused.code).toBe(1);
      const info = JSON.parse((await run(tool('testapp'), ['info'])).stdout);
      const self = readFileSync('/proc/self/status', 'utf8').match(/^Seccomp:\s*(\d)/m)![1];
      expect(info.status.Seccomp).toBe(self);
      expect(info.uidMap).toMatch(/^\s*0\s+0\s+4294967295$/);
      expect(info.serviceAccountToken).toBe(false);
    } finally {
      await stop(app);
    }
  });
});

describe('containerd', () => {
  let containerd: Proc | undefined;
  let sock: string;
  beforeAll(async () => {
    const root = join(dir, 'containerd');
    sock = join(root, 'containerd.sock');
    const hosts = join(root, 'certs.d');
    registry!.writeContainerdHosts(hosts);
    const config = join(root, 'config.toml');
    mkdirSync(root, { recursive: true });
    writeFileSync(config, [
      'version = 3',
      `root = ${JSON.stringify(join(root, 'root'))}`,
      `state = ${JSON.stringify(join(root, 'state'))}`,
      `[grpc]\n  address = ${JSON.stringify(sock)}`,
      `[plugins."io.containerd.transfer.v1.local"]\n  config_path = ${JSON.stringify(hosts)}`,
      '',
    ].join('\n'));
    containerd = start('containerd', tool('containerd'), ['--config', config], join(root, 'containerd.log'));
    await waitFor('containerd socket', async () => (await run(tool('ctr'), ['--address', sock, 'version'])).code === 0, 30_000, containerd);
  });
  afterAll(() => stop(containerd));

  it('pulls the images from the local registry', async () => {
    for (const name of ['pause', 'testapp'] as const) {
      const pull = await run(tool('ctr'), ['--address', sock, 'images', 'pull', '--hosts-dir', join(dir, 'containerd', 'certs.d'), registry!.images[name]]);
      expect(pull.stderr + pull.stdout).not.toMatch(/error|failed/i);
      const ls = await run(tool('ctr'), ['--address', sock, 'images', 'ls', '-q']);
      expect(ls.stdout.split('\n')).toContain(registry!.images[name]);
    }
  });
});
