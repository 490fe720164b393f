/**
 * `talosctl gen config` is the peer: for every example stack, in its contract-1.13 and contract-1.14 variant, the
 * configs Talos itself generates for the same cluster (same name, endpoint, Kubernetes version) are read
 * beside Bulwark's, and no security-relevant Talos default may be weaker in Bulwark's; what Talos's defaults add is
 * kept (CHECKS; nothing is dropped today).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { renderStack } from '../../core/render/index';
import { testSecrets } from '../helpers';
import { absentJudges, judgesRequired, runTalosctl } from './talosctl';
import { type TalosLine, type Variant, variants } from './variants';

type Docs = Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
const kind = (d: Docs, k: string, name?: string) => d.find((x) => x.kind === k && (name === undefined || x.name === name));
const v1 = (d: Docs) => d.find((x) => x.version === 'v1alpha1')!;
const PSS = ['privileged', 'baseline', 'restricted'];

interface Check {
  what: string;
  line: TalosLine;
  role: 'controlplane' | 'worker' | 'both';
  get: (d: Docs) => unknown;
  /** Bulwark's value against Talos's: `same` (default) or a custom "not weaker" rule */
  notWeaker?: (bulwark: any, talos: any) => boolean; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const CHECKS: Check[] = [
  // contract 1.14
  { what: 'SecurityProfileConfig.workloadIsolation', line: '1.14', role: 'both', get: (d) => kind(d, 'SecurityProfileConfig')?.workloadIsolation },
  // without an EPHEMERAL VolumeConfig Talos 1.14 mounts /var without nosuid,nodev
  { what: 'EPHEMERAL mounted nosuid,nodev', line: '1.14', role: 'both', get: (d) => { const e = kind(d, 'VolumeConfig', 'EPHEMERAL'); return e ? e.mount?.secure ?? true : false; } },
  { what: 'FilesystemTrimConfig kept', line: '1.14', role: 'both', get: (d) => kind(d, 'FilesystemTrimConfig')?.interval },
  { what: 'kubelet RuntimeDefault seccomp for every pod', line: '1.14', role: 'both', get: (d) => kind(d, 'KubeletConfig')?.defaultRuntimeSeccompProfileEnabled },
  // Talos's kubelet controller sets VersionTLS13 when the config leaves it empty (kubelet_spec.go, both lines)
  { what: 'kubelet TLS minimum', line: '1.14', role: 'both', get: (d) => kind(d, 'KubeletConfig')?.config?.tlsMinVersion ?? 'VersionTLS13' },
  { what: 'ResolverConfig hostDNS', line: '1.14', role: 'both', get: (d) => kind(d, 'ResolverConfig')?.hostDNS?.enabled },
  { what: 'control plane label exclude-from-external-load-balancers', line: '1.14', role: 'controlplane', get: (d) => 'node.kubernetes.io/exclude-from-external-load-balancers' in (kind(d, 'KubeNodeConfig')?.labels ?? {}) },
  { what: 'PodSecurity enforce level', line: '1.14', role: 'controlplane', get: (d) => kind(d, 'KubeAdmissionControlConfig', 'PodSecurity')?.configuration?.defaults?.enforce, notWeaker: (b, t) => PSS.indexOf(b) >= PSS.indexOf(t) },
  { what: 'audit policy present', line: '1.14', role: 'controlplane', get: (d) => Boolean(kind(d, 'KubeAuditPolicyConfig')) },
  { what: 'authorizers', line: '1.14', role: 'controlplane', get: (d) => d.filter((x) => x.kind === 'KubeAuthorizerConfig').map((x) => x.type), notWeaker: (b: string[], t: string[]) => t.every((x) => b.includes(x)) },
  {
    what: 'Secrets encryption providers', line: '1.14', role: 'controlplane',
    get: (d) => (kind(d, 'KubeEtcdEncryptionConfig')?.config?.resources ?? []).find((r: { resources: string[] }) => r.resources.includes('secrets'))?.providers.map((p: object) => Object.keys(p)[0]),
  },
  {
    what: 'anonymous requests only where Talos allows them', line: '1.14', role: 'controlplane',
    get: (d) => { const a = kind(d, 'KubeAuthenticationConfig')?.configuration?.anonymous; return a?.enabled ? (a.conditions ?? []).map((c: { path: string }) => c.path) : []; },
    notWeaker: (b: string[], t: string[]) => b.every((p) => t.includes(p)),
  },
  // contract 1.13
  { what: 'kubelet RuntimeDefault seccomp for every pod', line: '1.13', role: 'both', get: (d) => v1(d).machine.kubelet?.defaultRuntimeSeccompProfileEnabled },
  { what: 'kubelet static-pod manifests directory disabled', line: '1.13', role: 'both', get: (d) => v1(d).machine.kubelet?.disableManifestsDirectory },
  { what: 'kubelet TLS minimum', line: '1.13', role: 'both', get: (d) => v1(d).machine.kubelet?.extraConfig?.tlsMinVersion ?? 'VersionTLS13' },
  { what: 'hostDNS', line: '1.13', role: 'both', get: (d) => v1(d).machine.features?.hostDNS?.enabled },
  { what: 'control plane label exclude-from-external-load-balancers', line: '1.13', role: 'controlplane', get: (d) => 'node.kubernetes.io/exclude-from-external-load-balancers' in (v1(d).machine.nodeLabels ?? {}) },
  { what: 'PodSecurity enforce level', line: '1.13', role: 'controlplane', get: (d) => v1(d).cluster.apiServer?.admissionControl?.find((a: { name: string }) => a.name === 'PodSecurity')?.configuration?.defaults?.enforce, notWeaker: (b, t) => PSS.indexOf(b) >= PSS.indexOf(t) },
  { what: 'audit policy present', line: '1.13', role: 'controlplane', get: (d) => Boolean(v1(d).cluster.apiServer?.auditPolicy) },
  { what: 'Kubernetes discovery registry disabled', line: '1.13', role: 'both', get: (d) => v1(d).cluster.discovery?.registries?.kubernetes?.disabled },
  // GRUB installs: the UKI's command line carries the schematic's kernel hardening arguments
  { what: 'machine.install.grubUseUKICmdline', line: '1.13', role: 'both', get: (d) => v1(d).machine.install?.grubUseUKICmdline },
];

const all = variants().filter((v) => v.line === v.contract);

function genConfig(v: Variant): Record<'controlplane' | 'worker', Docs> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-genconfig-'));
  try {
    const c = v.valid.stack.cluster;
    const r = runTalosctl(v.line, ['gen', 'config', c.name, c.endpoint, '--kubernetes-version', c.kubernetesVersion.replace(/^v/, ''),
      '--output-types', 'controlplane,worker', '--output-dir', dir, '--with-docs=false', '--with-examples=false']);
    if (r.status !== 0) throw new Error(`talosctl gen config: ${r.stderr}`);
    const read = (f: string) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS());
    return { controlplane: read('controlplane.yaml'), worker: read('worker.yaml') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (absentJudges.length && !judgesRequired) {
  const why = `talosctl gen config peer SKIPPED: ${[...new Set(absentJudges)].join('; ')}`;
  console.warn(why);
  it.skip(why, () => undefined);
} else {
  describe.each(all.map((v) => [v.label, v] as const))('%s', (_label, v) => {
    it(`no security-relevant default of talosctl ${v.line} gen config is weaker in Bulwark's render`, async () => {
      const talos = genConfig(v);
      const r = renderStack(v.valid, await testSecrets());
      const problems: string[] = [];
      for (const role of ['controlplane', 'worker'] as const) {
        const node = r.nodes.find((n) => n.role === role);
        if (!node) continue;
        const ours = parseAllDocuments(node.config).map((d) => d.toJS()) as Docs;
        for (const c of CHECKS.filter((x) => x.line === v.line && (x.role === 'both' || x.role === role))) {
          const [b, t] = [c.get(ours), c.get(talos[role])];
          if (t === undefined) problems.push(`${role} ${c.what}: talosctl's config no longer has it (update CHECKS)`);
          else if (!(c.notWeaker ? c.notWeaker(b, t) : JSON.stringify(b) === JSON.stringify(t))) problems.push(`${role} ${c.what}: Bulwark ${JSON.stringify(b)}, Talos ${JSON.stringify(t)}`);
        }
      }
      expect(problems).toEqual([]);
    });
  });
}
