/**
 * A local OCI registry (distribution v3, built by e2e/tools/node.sh) with the suite's node images pushed to it, so
 * that nodes pull every image from a registry, as AlwaysPullImages makes them do on a real cluster. No outside
 * registry is reachable here: the images are OCI layouts built by e2e/tools/images/build.sh, pushed with crane.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, Proc, run, start, stop, waitFor } from './proc';
import { findJudge } from './tools';

/** The images the nodes run: the sandbox (pause) image and the test workload (e2e/tools/images/testapp). */
export type ImageName = 'pause' | 'testapp';

export interface Registry {
  /** host:port to pull from, e.g. 127.0.0.1:40123 (plain HTTP) */
  host: string;
  /** full references by name, e.g. images.pause = '127.0.0.1:40123/bulwark/pause:3.10.2' */
  images: Record<ImageName, string>;
  /** sha256 manifest digests, identical to the layouts' (same bytes in, same digest out) */
  digests: Record<ImageName, string>;
  proc: Proc;
  /** writes <certsDir>/<host>/hosts.toml so containerd (config_path = certsDir) pulls from it over plain HTTP */
  writeContainerdHosts(certsDir: string): string;
  stop(): Promise<void>;
}

interface ImageEntry { path: string; ref: string; digest: string; layout: string }

function tool(name: string): { path: string; version: string } {
  const t = findJudge(name);
  if ('absent' in t) throw new Error(t.absent);
  return t;
}

/**
 * Starts the registry on `listen` (default 127.0.0.1; a node in its own network namespace needs an address it can
 * reach, e.g. the host end of its veth) with storage under `dir`, and pushes the pause and testapp images.
 */
export async function startRegistry(opts: { dir: string; listen?: string; port?: number }): Promise<Registry> {
  const registry = tool('registry');
  const crane = tool('crane');
  const entries: Record<ImageName, ImageEntry> = {
    pause: tool('image-pause') as unknown as ImageEntry,
    testapp: tool('image-testapp') as unknown as ImageEntry,
  };
  const listen = opts.listen ?? '127.0.0.1';
  const host = `${listen}:${opts.port ?? (await freePort())}`;
  mkdirSync(join(opts.dir, 'storage'), { recursive: true });
  const config = join(opts.dir, 'registry.yml');
  writeFileSync(config, [
    'version: 0.1',
    'log: { level: warn }',
    'storage:',
    `  filesystem: { rootdirectory: ${JSON.stringify(join(opts.dir, 'storage'))} }`,
    'http:',
    `  addr: ${JSON.stringify(host)}`,
    '',
  ].join('\n'));
  // OTEL_TRACES_EXPORTER=none: distribution v3 otherwise tries to export traces to localhost:4318
  const proc = start('registry', registry.path, ['serve', config], join(opts.dir, 'registry.log'), { ...process.env, OTEL_TRACES_EXPORTER: 'none' });
  const v2 = `http://${host}/v2/`;
  try {
    await waitFor(`registry ${v2}`, async () => (await fetch(v2)).status === 200, 30_000, proc);
    const images = {} as Record<ImageName, string>;
    const digests = {} as Record<ImageName, string>;
    for (const name of Object.keys(entries) as ImageName[]) {
      const e = entries[name];
      const ref = `${host}/${e.ref}`;
      const r = await run(crane.path, ['push', '--insecure', e.layout, ref], { timeoutMs: 60_000 });
      const pushed = r.stdout.trim().split('@')[1];
      if (r.code !== 0 || pushed !== e.digest) {
        throw new Error(`crane push ${e.layout} ${ref}: exit ${r.code}, digest ${pushed ?? '-'} (layout has ${e.digest})\n${r.stderr}`);
      }
      images[name] = ref;
      digests[name] = e.digest;
    }
    return {
      host, images, digests, proc,
      writeContainerdHosts(certsDir: string) {
        const d = join(certsDir, host);
        mkdirSync(d, { recursive: true });
        const file = join(d, 'hosts.toml');
        writeFileSync(file, `server = "http://${host}"\n\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n`);
        return file;
      },
      stop: () => stop(proc),
    };
  } catch (e) {
    await stop(proc);
    throw e;
  }
}

/** An image as built (OCI layout folder, repository:tag, digest), without a registry. */
export function imageLayout(name: ImageName): ImageEntry {
  return tool(`image-${name}`) as unknown as ImageEntry;
}
