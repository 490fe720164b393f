/** Runs the pinned talosctl of a Talos line (built by `npm run e2e:tools`) as a judge of rendered configs. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Judge, findJudge } from '../../e2e/harness/tools';
import type { TalosLine } from './variants';

export const talosctl = { '1.13': findJudge('talosctl-1.13'), '1.14': findJudge('talosctl-1.14') } as const;
export const absentJudges = Object.values(talosctl).flatMap((j) => ('absent' in j ? [j.absent] : []));

/** Absent judges fail instead of skipping where the toolchain must be there (CI sets it). */
export const judgesRequired = process.env.BULWARK_REQUIRE_JUDGES === '1';

// `talosctl validate` reads the file and validates with validation.WithLocal() (no image or version lookups);
// it has no network client. It still runs without a network where it can, as every test near stack addresses.
const isolate = spawnSync('unshare', ['-n', 'true']).status === 0;

export function runTalosctl(line: TalosLine, args: string[]): { status: number; stdout: string; stderr: string } {
  const j = talosctl[line];
  if ('absent' in j) throw new Error(j.absent);
  const [cmd, argv] = isolate ? ['unshare', ['-n', j.path, ...args]] : [j.path, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() } });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface Verdict {
  /** warnings, whether printed (`WARNING: x`) or turned into errors by --strict (`* warning: x`) */
  warnings: string[];
  /** every other problem talosctl reports */
  errors: string[];
  ok: boolean;
}

export function validate(line: TalosLine, config: string, mode: string, strict: boolean): Verdict {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-talosctl-'));
  try {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, config, { mode: 0o600 });
    const r = runTalosctl(line, ['validate', '--config', file, '--mode', mode, ...(strict ? ['--strict'] : [])]);
    const warnings: string[] = [];
    const errors: string[] = [];
    let strictWarnings = 0;
    for (const raw of r.stderr.split('\n')) {
      const l = raw.trim();
      let m: RegExpMatchArray | null;
      if ((m = l.match(/^WARNING: (.*)$/))) warnings.push(m[1]);
      else if ((m = l.match(/^\* warning: (.*)$/))) (warnings.push(m[1]), strictWarnings++);
      else if (/^\* .*: \d+ errors? occurred:$/.test(l)) continue; // a document heading its own list
      else if (/^\* /.test(l)) errors.push(l.slice(2));
    }
    if (r.status !== 0 && !errors.length && !strictWarnings) errors.push((r.stderr || r.stdout).trim());
    const ok = r.status === 0 && /is valid for/.test(r.stdout);
    return { warnings: [...new Set(warnings)].sort(), errors, ok };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** talos-compute of each line (e2e/tools/talos-compute): Talos's own controllers, run in memory on a machine config. */
export const talosCompute = { '1.13': computeJudge('talos-compute-1.13'), '1.14': computeJudge('talos-compute-1.14') } as const;

/** talos-compute chroots into its --root and Talos's etcd PKI controller chowns to etcd's uid: it needs root, as machined. */
function computeJudge(name: string): Judge {
  const j = findJudge(name);
  if ('absent' in j || process.getuid?.() === 0) return j;
  return { absent: `${name} needs root (it chroots, and Talos's etcd PKI controller chowns the PKI to etcd's user); run the suite as root or in a container` };
}
export const absentComputeJudges = Object.values(talosCompute).flatMap((j) => ('absent' in j ? [j.absent] : []));

export interface Computed {
  talos: string;
  /** Pod manifests by name (kube-apiserver, kube-controller-manager, kube-scheduler) */
  staticPods: Record<string, { spec: { containers: Array<{ command: string[] }> } }>;
  /** `<pod>/<file>` -> the YAML Talos writes (key material redacted) */
  files: Record<string, string>;
  kubelet: { image: string; args: string[]; expectedNodename: string; config: Record<string, unknown> };
  manifests: Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** etcd's command line after the binary, as machined's etcd service builds it, and the PKI files Talos wrote */
  etcd: { args: string[]; pkiFiles: string[] };
  /** the sysctls Talos sets by default on a metal node (`proc.sys.<name>` -> value), KSPP's included */
  kernelParams: Record<string, string>;
  /** the files Talos's RenderSecretsStaticPodController wrote (/system/secrets/kubernetes/...; contents not printed) */
  kubernetesSecretFiles: string[];
  /** the KubeletConfiguration fields Talos refuses in extraConfig (pkg/machinery/kubelet) */
  kubeletProtectedFields: string[];
  /** RootOSController's Talos API CA: the issuing certificate and every CA apid and trustd accept (PEM) */
  osRoot: { issuingCA: string; acceptedCAs: string[] };
}

/** What Talos's controllers compute for a control-plane node of this config; throws with their errors if they reject it. */
export function computeControlPlane(line: TalosLine, config: string, nodeName: string, nodeIP: string): Computed {
  return computeWithSecretFiles(line, config, nodeName, nodeIP).computed;
}

/**
 * As computeControlPlane, plus the contents of every file Talos wrote under /system/secrets: the etcd PKI and the
 * control plane's certificates, keys, kubeconfigs and encryption config (Talos path -> content; key material
 * included, held in memory only: the e2e harness starts the processes with them).
 */
export function computeWithSecretFiles(line: TalosLine, config: string, nodeName: string, nodeIP: string): { computed: Computed; secretFiles: Record<string, string> } {
  const j = talosCompute[line];
  if ('absent' in j) throw new Error(j.absent);
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-talos-compute-'));
  try {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, config, { mode: 0o600 });
    // talos-compute chroots into root/ (Talos writes /system/secrets there; /var/lib/etcd is empty there)
    const root = join(dir, 'root');
    const args = ['--config', file, '--node-name', nodeName, '--node-ip', nodeIP, '--root', root];
    const [cmd, argv] = isolate ? ['unshare', ['-n', j.path, ...args]] : [j.path, args];
    const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() } });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`talos-compute ${line} (${nodeName}): ${(r.stderr || r.stdout).trim()}`);
    const computed = JSON.parse(r.stdout) as Computed;
    const paths = [...computed.etcd.pkiFiles, ...computed.kubernetesSecretFiles];
    const secretFiles = Object.fromEntries(paths.map((p) => [p, readFileSync(join(root, p), 'utf8')]));
    return { computed, secretFiles };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `--a=b` / bare `--a` -> { a: ['b'] } / { a: ['true'] }: every occurrence kept (Talos may pass a flag twice). */
export function flagsOf(command: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const a of command.slice(1)) {
    const m = a.match(/^--([^=]+)(?:=(.*))?$/s);
    if (!m) throw new Error(`not a flag: ${a}`);
    (out[m[1]] ??= []).push(m[2] ?? 'true');
  }
  return out;
}
