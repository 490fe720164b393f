/**
 * containerd as Talos runs it for the CRI: Talos's own /etc/cri/containerd.toml and /etc/cri/conf.d/00-base.part
 * (hack/cri-containerd.toml and hack/cri-plugin.part of the Talos module of the stack's line, read from the Go
 * module cache), the gvisor extension's parts when the node is a sandbox node, and the registry hosts folder
 * Talos points the CRI at (/etc/cri/conf.d/hosts). Off Talos, and only this:
 * - every path is under the node's folder (`<dir>/root/<Talos path>`); the socket is the node's own;
 * - the parts are imported by containerd (`imports`) instead of merged into cri.toml by machined;
 * - `base_runtime_spec` is dropped: Talos's base-spec.json is containerd's default spec without rlimits, which
 *   is what containerd's CRI uses when none is given;
 * - the CNI folders are the node's (Talos's are /opt/cni/bin and /etc/cni/net.d);
 * - restrict_oom_score_adj (this machine withholds CAP_SYS_RESOURCE, so no negative oom_score_adj can be set);
 * - on sandbox nodes runsc's shim is started through runscShimWrapper (below), for the same reason.
 * The gvisor extension (siderolabs/extensions container-runtime/gvisor: gvisor.part, runsc.toml) is not a Go
 * module, so its two parts are mirrored below: handler `runsc`, runtime_type io.containerd.runsc.v1, its
 * runsc.toml with ignore-cgroups.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { TalosLine } from '../../core/talos/defaults';
import { netnsPath } from './node-net';
import type { NodeTools } from './node-tools';
import { Proc, run, start, waitFor } from './proc';
import { findJudge } from './tools';


/** siderolabs/extensions container-runtime/gvisor/gvisor.part, with ConfigPath moved under the node's folder. */
const gvisorPart = (runscToml: string) => [
  '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc]',
  '  runtime_type = "io.containerd.runsc.v1"',
  '',
  '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc.options]',
  '  TypeUrl = "io.containerd.runsc.v1.options"',
  `  ConfigPath = ${JSON.stringify(runscToml)}`,
  '',
].join('\n');
/** siderolabs/extensions container-runtime/gvisor/runsc.toml */
const RUNSC_TOML = '[runsc_config]\n# See https://github.com/siderolabs/extensions/issues/4\nignore-cgroups = "true"\n';

/**
 * gVisor's shim sets its daemon's oom_score_adj to -999 (pkg/shim/v1/manager.go, a constant) and fails the pod when
 * it cannot, unless containerd's sys.SetOOMScore sees an unprivileged or user-namespaced caller (it then ignores the
 * EACCES, as for rootless containerd). No setting changes the constant, and this machine withholds
 * CAP_SYS_RESOURCE. The wrapper runs the shim in its own mount namespace (slave: host mounts still reach it) with a
 * non-identity map bind-mounted over its own /proc/<pid>/uid_map, which is all that check reads; the shim is then
 * exec'd under the same pid. Only that check is affected: the shim runs as root in the host's user namespace, and
 * its daemon (another pid) reads its real map. What differs from Talos: the shim keeps oom_score_adj 0, not -999.
 */
function runscShimWrapper(dir: string, realShim: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'uid_map'), '0 0 1\n');
  const real = join(dir, 'real-shim');
  if (!existsSync(real)) symlinkSync(realShim, real);
  // paths come from $0 (the absolute path containerd found on PATH), never interpolated into the script
  writeFileSync(join(dir, 'containerd-shim-runsc-v1'), [
    '#!/bin/sh',
    'here=${0%/*}',
    'exec unshare --mount --propagation slave -- /bin/sh -c \'mount --bind "$1/uid_map" "/proc/$$/uid_map" && h=$1 && shift && exec "$h/real-shim" "$@"\' sh "$here" "$@"',
    '',
  ].join('\n'), { mode: 0o755 });
  return dir;
}

/** The Talos module folder of a line, from the Go module cache (downloaded by `npm run e2e:tools`). */
export function talosModuleDir(line: TalosLine): string {
  const judge = findJudge(`talosctl-${line}`); // talosctl of the line is built from this module
  if ('absent' in judge) throw new Error(judge.absent);
  const r = spawnSync('go', ['mod', 'download', '-json', `github.com/siderolabs/talos@${judge.version}`], {
    encoding: 'utf8', timeout: 120_000, env: { ...process.env, GOFLAGS: '-mod=mod', GOWORK: 'off', PATH: `${process.env.PATH}:/usr/local/go/bin` }, cwd: '/',
  });
  const dir = r.status === 0 ? (JSON.parse(r.stdout) as { Dir?: string }).Dir : undefined;
  if (!dir || !existsSync(join(dir, 'hack/cri-plugin.part'))) throw new Error(`Talos module ${judge.version} not in the Go module cache: ${r.stderr || r.stdout}`);
  return dir;
}

export interface Containerd {
  socket: string;
  proc: Proc;
  /** The files as written (path → content), for the report. */
  files: Record<string, string>;
}

export interface ContainerdOpts {
  dir: string;
  line: TalosLine;
  netns: string;
  sandbox: boolean;
  tools: NodeTools;
  cniConfDir: string;
  /** the pod sandbox (pause) image */
  sandboxImage: string;
  /** writes the registries' hosts.toml files into the hosts folder Talos points the CRI at */
  writeHosts(hostsDir: string): void;
}

export async function startContainerd(o: ContainerdOpts): Promise<Containerd> {
  const local = (p: string) => join(o.dir, 'root', p);
  const files: Record<string, string> = {};
  const put = (talosPath: string, content: string) => {
    const p = local(talosPath);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
    files[talosPath] = content;
    return p;
  };
  const talos = talosModuleDir(o.line);
  const confd = '/etc/cri/conf.d';
  const relocate = (s: string) => s.split(`"${confd}/`).join(`"${local(confd)}/`);
  // 00-base.part without base_runtime_spec (see the header)
  const base = relocate(readFileSync(join(talos, 'hack/cri-plugin.part'), 'utf8')).split('\n').filter((l) => !l.includes('base_runtime_spec')).join('\n');
  const parts = [put(`${confd}/00-base.part`, base)];
  parts.push(put(`${confd}/01-registries.part`, `version = 3\n\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = ${JSON.stringify(local(`${confd}/hosts`))}\n`));
  mkdirSync(local(`${confd}/hosts`), { recursive: true });
  o.writeHosts(local(`${confd}/hosts`));
  if (o.sandbox) {
    const runscToml = put(`${confd}/runsc.toml`, RUNSC_TOML);
    parts.push(put(`${confd}/gvisor.part`, `version = 3\n\n${gvisorPart(runscToml)}`));
  }
  parts.push(put(`${confd}/02-node.part`, [
    'version = 3', '',
    // this machine withholds CAP_SYS_RESOURCE: no process may lower its oom_score_adj (runc would fail on the
    // kubelet's -998 for sandboxes); containerd's option for such hosts keeps every value at or above its own
    '[plugins."io.containerd.cri.v1.runtime"]',
    '  restrict_oom_score_adj = true', '',
    '[plugins."io.containerd.cri.v1.runtime".cni]',
    `  bin_dirs = [${JSON.stringify(o.tools.cniBinDir)}]`,
    `  conf_dir = ${JSON.stringify(o.cniConfDir)}`, '',
    '[plugins."io.containerd.cri.v1.images".pinned_images]',
    `  sandbox = ${JSON.stringify(o.sandboxImage)}`, '',
  ].join('\n')));
  const socket = local('/run/containerd/containerd.sock');
  const talosMain = readFileSync(join(talos, 'hack/cri-containerd.toml'), 'utf8')
    .replace(/imports = \[[^\]]*\]/s, `imports = [\n${parts.map((p) => `    ${JSON.stringify(p)},`).join('\n')}\n]`);
  const config = put('/etc/cri/containerd.toml', [
    `root = ${JSON.stringify(local('/var/lib/containerd'))}`,
    `state = ${JSON.stringify(local('/run/containerd'))}`,
    talosMain,
    '[grpc]', `  address = ${JSON.stringify(socket)}`,
    '[ttrpc]', `  address = ${JSON.stringify(`${socket}.ttrpc`)}`, '',
  ].join('\n'));
  const log = join(o.dir, 'containerd.log');
  const shimDir = o.sandbox ? [runscShimWrapper(join(o.dir, 'runsc-shim'), join(o.tools.runscDir, 'containerd-shim-runsc-v1'))] : [];
  const path = [...new Set([...shimDir, o.tools.containerdDir, o.tools.runcDir, o.tools.runscDir])].join(':');
  const proc = start('containerd', 'nsenter', [`--net=${netnsPath(o.netns)}`, '--', o.tools.containerd, '--config', config, '--address', socket], log,
    { PATH: `${path}:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: o.dir, XDG_RUNTIME_DIR: local('/run/containerd') });
  await waitFor('containerd socket', async () => existsSync(socket) && (await run(o.tools.ctr, ['--address', socket, 'version'], { timeoutMs: 10_000 })).code === 0, 60_000, proc);
  return { socket, proc, files };
}
