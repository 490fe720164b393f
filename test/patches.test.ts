/**
 * Config patches: Bulwark's patched configs against `talosctl machineconfig patch` of both Talos lines on
 * the same rendered config, for a corpus of strategic merge and JSON patches (maps, lists appended,
 * fields Talos replaces, keyed lists, zero values, deletes of keys, list elements and whole documents,
 * new documents). Both outputs go through talosctl once more with an empty patch, so they are compared
 * in Talos's own encoding.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { StackConfigError } from '../core/config/errors';
import { renderStack } from '../core/render/index';
import { validateValues } from '../core/stack';
import { TODAY, exampleValues, testSecrets } from './helpers';
import { absentJudges, runTalosctl } from './talos/talosctl';

type Values = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Line = '1.13' | '1.14';

function lab(line: Line, patches?: unknown[]): Values {
  const v = exampleValues('lab') as Values;
  v.cluster.contract = line;
  v.cluster.talosVersion = line === '1.13' ? 'v1.13.9' : 'v1.14.1';
  // the judged node is a control plane; some corpus paths (machine.files) only exist there
  if (patches) v.patches = { controlplane: patches };
  return v;
}

async function renderNode(v: Values, node = 'lab-cp-1'): Promise<string> {
  const r = renderStack(validateValues('lab', v, { today: TODAY }), await testSecrets());
  return r.nodes.find((n) => n.name === node)!.config;
}

/** talosctl machineconfig patch of the line; the patches one file each, in order. */
function talosPatch(line: Line, config: string, patches: unknown[]): { ok: true; out: string } | { ok: false; error: string } {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-patch-'));
  try {
    writeFileSync(join(dir, 'config.yaml'), config, { mode: 0o600 });
    const args = ['machineconfig', 'patch', join(dir, 'config.yaml'), '-o', join(dir, 'out.yaml')];
    patches.forEach((p, i) => {
      writeFileSync(join(dir, `p${i}.yaml`), typeof p === 'string' ? p : stringify(p));
      args.push('--patch', `@${join(dir, `p${i}.yaml`)}`);
    });
    const r = runTalosctl(line, args);
    if (r.status !== 0) return { ok: false, error: (r.stderr || r.stdout).trim() };
    return { ok: true, out: readFileSync(join(dir, 'out.yaml'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A config in talosctl's encoding (an empty strategic merge patch decodes and re-encodes it). */
function encoded(line: Line, config: string): string {
  const r = talosPatch(line, config, ['machine: {}\n']);
  if (!r.ok) throw new Error(`talosctl ${line} cannot read the config: ${r.error}`);
  return r.out;
}

const SM_CORPUS: { name: string; patches: unknown[]; lines?: Line[] }[] = [
  { name: 'a new map key', patches: [{ machine: { sysctls: { 'vm.max_map_count': '262144' } } }] },
  { name: 'a value a control set', patches: [{ machine: { sysctls: { 'kernel.kexec_load_disabled': '0' } } }] },
  { name: 'a list is appended to', patches: [{ machine: { certSANs: ['api.lab.example.com'] } }] },
  { name: 'zero values do not overwrite, false does', patches: [{ machine: { kubelet: { image: '', extraConfig: { podPidsLimit: 0 }, defaultRuntimeSeccompProfileEnabled: false } } }] },
  { name: 'a deep map in an unstructured field', patches: [{ machine: { kubelet: { extraConfig: { featureGates: { SomeGate: true } } } } }] },
  { name: 'deleting a map key', lines: ['1.13'], patches: [{ machine: { sysctls: { 'kernel.sysrq': { $patch: 'delete' } } } }] },
  { name: 'deleting a whole section and adding beside it', patches: [{ machine: { features: { $patch: 'delete' }, sysctls: { 'net.core.somaxconn': '4096' } } }], lines: ['1.13'] },
  { name: 'network interfaces merge by name, their VLANs by id', lines: ['1.13'], patches: [
    { machine: { network: { interfaces: [{ interface: 'eth9', mtu: 9000, vlans: [{ vlanId: 5, mtu: 1500 }] }] } } },
    { machine: { network: { interfaces: [{ interface: 'eth9', dhcp: true, vlans: [{ vlanId: 5, dhcp: true }, { vlanId: 6, mtu: 1400 }] }, { interface: 'eth8', mtu: 1500 }] } } },
  ] },
  { name: 'extra args replace per key', lines: ['1.13'], patches: [{ cluster: { apiServer: { extraArgs: { profiling: 'true', 'audit-log-maxage': '' } } } }] },
  { name: 'admission plugins merge by name', lines: ['1.13'], patches: [{ cluster: { apiServer: { admissionControl: [{ name: 'PodSecurity', configuration: { defaults: { enforce: 'privileged' } } }, { name: 'EventRateLimit', configuration: { kind: 'Configuration' } }] } } }] },
  { name: 'the audit policy is replaced, not merged', lines: ['1.13'], patches: [{ cluster: { apiServer: { auditPolicy: { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'None' }] } } } }] },
  { name: 'pod subnets are replaced', lines: ['1.13'], patches: [{ cluster: { network: { podSubnets: ['10.250.0.0/16'] } } }] },
  { name: 'deleting a list element by its key', lines: ['1.13'], patches: [{ machine: { files: [{ path: '/var/etc/bulwark/authentication-config.yaml', $patch: 'delete' }] } }] },
  { name: 'a document merged by kind', patches: [{ apiVersion: 'v1alpha1', kind: 'HostnameConfig', hostname: 'renamed' }] },
  { name: 'a new document', patches: [{ apiVersion: 'v1alpha1', kind: 'StaticHostConfig', name: '10.5.0.1', hostnames: ['registry.lab.example.com'] }] },
  { name: 'a whole document deleted', patches: [{ apiVersion: 'v1alpha1', kind: 'HostnameConfig', $patch: 'delete' }] },
  { name: 'a multi-document config: kubelet args, sysctls, a replaced audit policy and subnets', lines: ['1.14'], patches: [
    { apiVersion: 'v1alpha1', kind: 'KubeletConfig', extraArgs: { v: '2' }, config: { podPidsLimit: 1024 } },
    { apiVersion: 'v1alpha1', kind: 'SysctlConfig', params: { 'vm.swappiness': '10', 'kernel.sysrq': { $patch: 'delete' } } },
    { apiVersion: 'v1alpha1', kind: 'KubeAuditPolicyConfig', configuration: { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata' }] } },
    { apiVersion: 'v1alpha1', kind: 'KubeNetworkConfig', podSubnets: ['10.250.0.0/16'] },
    { apiVersion: 'v1alpha1', kind: 'KubeAPIServerConfig', extraArgs: { profiling: 'true' } },
  ] },
  { name: 'a multi-document config: a named document deleted', lines: ['1.14'], patches: [{ apiVersion: 'v1alpha1', kind: 'KubeAuthorizerConfig', name: 'rbac', $patch: 'delete' }] },
];

const JSON_CORPUS: { name: string; ops: unknown[]; lines?: Line[] }[] = [
  { name: 'test, append to a list, remove and copy', ops: [
    { op: 'test', path: '/machine/type', value: 'controlplane' },
    { op: 'add', path: '/machine/certSANs/-', value: 'api.lab.example.com' },
    { op: 'remove', path: '/machine/features/diskQuotaSupport' },
    { op: 'copy', from: '/machine/token', path: '/cluster/token' },
  ] },
  { name: 'add, remove, replace and move map keys', lines: ['1.13'], ops: [
    { op: 'add', path: '/machine/sysctls/net.core.somaxconn', value: '4096' },
    { op: 'remove', path: '/machine/sysctls/kernel.sysrq' },
    { op: 'replace', path: '/machine/kubelet/image', value: 'ghcr.io/siderolabs/kubelet:v1.36.4' },
    { op: 'move', from: '/machine/kubelet/extraConfig/podPidsLimit', path: '/machine/kubelet/extraConfig/maxPods' },
  ] },
];

const judged = absentJudges.length ? describe.skip : describe;

judged('config patches: Bulwark patches as talosctl machineconfig patch does', () => {
  for (const line of ['1.13', '1.14'] as const) {
    for (const c of SM_CORPUS.filter((x) => !x.lines || x.lines.includes(line))) {
      it(`talosctl ${line}: ${c.name}`, async () => {
        const original = await renderNode(lab(line));
        const talos = talosPatch(line, original, c.patches);
        if (!talos.ok) throw new Error(`talosctl refused the corpus patch: ${talos.error}`);
        const bulwark = await renderNode(lab(line, c.patches));
        expect(bulwark).not.toEqual(original);
        expect(encoded(line, bulwark)).toEqual(encoded(line, talos.out));
      });
    }
    for (const c of JSON_CORPUS.filter((x) => !x.lines || x.lines.includes(line))) {
      it(`talosctl ${line}: JSON patch, ${c.name} (on the v1alpha1 document, as Talos applies them)`, async () => {
        const original = await renderNode(lab(line));
        const [v1alpha1, ...rest] = original.split(/^---\n/m);
        const talos = talosPatch(line, v1alpha1, [stringify(c.ops)]);
        if (!talos.ok) throw new Error(`talosctl refused the corpus patch: ${talos.error}`);
        const bulwark = (await renderNode(lab(line, [c.ops]))).split(/^---\n/m);
        expect(encoded(line, bulwark[0])).toEqual(encoded(line, talos.out));
        expect(bulwark.slice(1)).toEqual(rest);
      });
    }
    it(`talosctl ${line}: a delete of a key that is not there fails, in talosctl and in Bulwark (with the key path)`, async () => {
      const p = { machine: { nodeLabels: { 'no.such.label': { $patch: 'delete' } } } };
      const talos = talosPatch(line, await renderNode(lab(line)), [p]);
      expect(talos.ok).toBe(false);
      await expect(renderNode(lab(line, [p]))).rejects.toThrow(StackConfigError);
      await expect(renderNode(lab(line, [p]))).rejects.toThrow(/bulwark:patches\.controlplane\[0\]: cannot be applied to node lab-cp-1: patch delete: path 'machine\.nodeLabels\.no\.such\.label'/);
    });
  }
});

describe('config patches: where they apply', () => {
  it('all, then the role, then the node, in order; a node patch wins', async () => {
    const v = lab('1.14');
    v.patches = {
      all: [{ apiVersion: 'v1alpha1', kind: 'HostnameConfig', hostname: 'from-all' }],
      worker: [{ apiVersion: 'v1alpha1', kind: 'HostnameConfig', hostname: 'from-worker' }],
    };
    v.nodes[1].patches = [{ apiVersion: 'v1alpha1', kind: 'HostnameConfig', hostname: 'from-node' }];
    const r = renderStack(validateValues('lab', v, { today: TODAY }), await testSecrets());
    const hostname = (n: number) => parseAllDocuments(r.nodes[n].config).map((d) => d.toJS()).find((d) => d.kind === 'HostnameConfig').hostname;
    expect([hostname(0), hostname(1)]).toEqual(['from-all', 'from-node']);
  });

  it('refuses malformed patches with their key paths, all at once', () => {
    const v = lab('1.14');
    v.patches = { all: [{ kind: 'HostnameConfig', hostname: 'x' }, [{ op: 'frobnicate', path: '/machine' }]], worker: [{ machine: { sysctls: { a: null } } }] };
    v.nodes[0].patches = [[{ op: 'add', path: 'machine/x', value: 1 }]];
    let problems: { path: string; message: string }[] = [];
    try {
      validateValues('lab', v, { today: TODAY });
    } catch (e) {
      problems = (e as StackConfigError).problems;
    }
    expect(problems.map((p) => p.path)).toEqual([
      'bulwark:nodes[0].patches[0][0].path',
      'bulwark:patches.all[0].apiVersion',
      'bulwark:patches.all[1]',
      'bulwark:patches.worker[0].machine.sysctls.a',
    ]);
    expect(problems.find((p) => p.path === 'bulwark:patches.worker[0].machine.sysctls.a')!.message).toMatch(/null.*\$patch/);
  });
});
