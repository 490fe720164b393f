/**
 * Drift, the parts that need no API server (test/e2e/drift.test.ts has the live cluster): how objects
 * are compared, machine-configuration drift attributed to the controls whose contribution sets the
 * path (by the renderer itself), and the talosctl read. No Talos node can run here, so talosctl is a
 * stand-in script that prints what `talosctl get machineconfig -o yaml` prints (the resource with the
 * configuration as a YAML string in `spec`, cmd/talosctl/cmd/talos/output/yaml.go) and records what
 * it was given.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { CATALOGUE } from '../core/controls/catalogue';
import { kubeconfigAccess } from '../cli/drift';
import { machineOwners } from '../core/ops/drift-attribution';
import { ControlIndex, LiveObject, machineConfigDiff, machineDrift, objectDrift, subsetDiff } from '../core/ops/drift';
import { GET_MACHINECONFIG_SCRIPT, machineConfigFromTalosctl, readMachineConfig } from '../core/ops/drift-read';
import { renderStack } from '../core/render/index';
import { example, testSecrets } from './helpers';

describe('object comparison', () => {
  test('fields the server adds are not drift; a changed value, a missing field or a longer list is', () => {
    const want = { spec: { ports: [{ port: 53 }], policyTypes: ['Egress'] } };
    expect(subsetDiff(want, { spec: { ports: [{ port: 53, protocol: 'UDP' }], policyTypes: ['Egress'] }, status: {} })).toEqual([]);
    expect(subsetDiff(want, { spec: { ports: [{ port: 54 }], policyTypes: ['Egress'] } })).toEqual(['.spec.ports[0].port']);
    expect(subsetDiff(want, { spec: { ports: [{ port: 53 }, { port: 1 }], policyTypes: ['Egress'] } })).toEqual(['.spec.ports']);
    expect(subsetDiff(want, { spec: { ports: [{ port: 53 }] } })).toEqual(['.spec.policyTypes']);
    expect(subsetDiff({ metadata: { labels: { 'a.b/c': 'x' } } }, { metadata: { labels: {} } })).toEqual(['.metadata.labels["a.b/c"]']);
  });

  test('a deleted object, an extra admin grant and an extra policy in a tenant namespace are each named by control', async () => {
    const v = example('prod');
    const r = renderStack(v, await testSecrets());
    const idx = new ControlIndex(CATALOGUE, r.decisions);
    const expected = r.plan.tenantObjects.filter((o) => o.tenant === 'team-a').map((o) => ({ object: o.object, control: o.control }));
    const objects = new Map<string, LiveObject | null>(expected.map((e) => [`${e.object.kind}/${e.object.metadata.namespace ? `${e.object.metadata.namespace}/` : ''}${e.object.metadata.name}`, { live: e.object as unknown as Record<string, unknown> }]));
    // a field the render does not have, on a live object whose defaulted form lacks it too
    const quota = expected.find((e) => e.object.kind === 'ResourceQuota')!.object;
    const quotaKey = `ResourceQuota/team-a/${quota.metadata.name}`;
    objects.set(quotaKey, { live: { ...quota, spec: { ...(quota.spec as object), scopes: ['BestEffort'] } }, defaulted: quota as unknown as Record<string, unknown> });
    objects.set('NetworkPolicy/team-a/default-deny', null);
    const grant = (kind: string, ns: string | undefined, role: string) => ({ kind, metadata: { name: 'x', namespace: ns }, roleRef: { kind: 'ClusterRole', name: role }, subjects: [] });
    const wildcard = { kind: 'ClusterRole', metadata: { name: 'everything' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] };
    const found = objectDrift(expected, {
      objects,
      bindings: [grant('RoleBinding', 'team-a', 'everything'), grant('RoleBinding', 'team-a', 'view'), grant('ClusterRoleBinding', undefined, 'cluster-admin'),
        { ...grant('ClusterRoleBinding', undefined, 'cluster-admin'), metadata: { name: 'cluster-admin' }, subjects: [{ kind: 'Group', name: 'system:masters' }] }],
      roles: [wildcard, { kind: 'ClusterRole', metadata: { name: 'view' }, rules: [{ resources: ['pods'], verbs: ['get'] }] }],
      networkPolicies: [{ kind: 'NetworkPolicy', metadata: { name: 'allow-all', namespace: 'team-a' } }, { kind: 'NetworkPolicy', metadata: { name: 'own', namespace: 'team-b' } }],
    }, v.stack.tenants, idx);
    expect(found.map((f) => `${f.control} ${f.change} ${f.object}`)).toEqual([
      'tenancy.network.default-deny missing NetworkPolicy/team-a/default-deny',
      `tenancy.quota.defaults changed ${quotaKey}`,
      'tenancy.rbac.tenant-admin added RoleBinding/team-a/x',
      'auth.breakglass.short-lived-admin added ClusterRoleBinding/x',
      // team-b has NetworkPolicy self-service: its own policies are expected
      'tenancy.network.default-deny added NetworkPolicy/team-a/allow-all',
    ]);
  });
});

describe('machine configurations', () => {
  let cp: string;
  let owners: Map<string, string[]>;
  let idx: ControlIndex;
  beforeAll(async () => {
    const v = example('prod');
    const secrets = await testSecrets();
    const r = renderStack(v, secrets);
    cp = r.nodes[0].config;
    owners = machineOwners(v, secrets).get(r.nodes[0].name)!;
    idx = new ControlIndex(CATALOGUE, r.decisions);
  }, 120_000);

  test('the rendered configuration against itself: no drift', () => {
    expect(machineConfigDiff(cp, cp)).toEqual([]);
  });

  test('a weakened sysctl, API server flag and kubelet setting are each the control that sets them; an edit no control makes is unattributed', () => {
    const docs = parseAllDocuments(cp);
    const doc = docs.find((d) => d.get('version') === 'v1alpha1')!;
    doc.setIn(['machine', 'sysctls', 'kernel.kexec_load_disabled'], '0');
    doc.setIn(['cluster', 'apiServer', 'extraArgs', 'profiling'], 'true');
    doc.deleteIn(['machine', 'kubelet', 'extraConfig', 'podPidsLimit']);
    doc.setIn(['cluster', 'clusterName'], 'renamed');
    const paths = machineConfigDiff(cp, docs.map((d) => d.toString()).join('---\n'));
    const found = machineDrift('prod-cp-1', paths, owners, idx);
    expect(found.map((f) => `${f.control} ${f.paths.join(' ')}`)).toEqual([
      'k8s.apiserver.profiling-off v1alpha1.cluster.apiServer.extraArgs.profiling',
      'k8s.kubelet.pod-pids-limit v1alpha1.machine.kubelet.extraConfig.podPidsLimit',
      'os.kernel.kspp-sysctls v1alpha1.machine.sysctls["kernel.kexec_load_disabled"]',
      'unattributed v1alpha1.cluster.clusterName',
    ]);
    expect(found.every((f) => f.object === 'node/prod-cp-1')).toBe(true);
    // values never reach a finding: the configuration holds the cluster's keys
    expect(JSON.stringify(found)).not.toMatch(/renamed|"0"|BEGIN/);
  });
});

describe('talosctl get machineconfig (stand-in talosctl: no Talos node here)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-drift-talosctl-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const config = 'version: v1alpha1\nmachine:\n  type: controlplane\n---\napiVersion: v1alpha1\nkind: KubeTalosAPIAccessConfig\nallowedRoles: [os:etcd:backup]\n';
  const printed = stringify({ node: '10.0.0.1', metadata: { namespace: 'config', type: 'MachineConfigs.config.talos.dev', id: 'v1alpha1', version: 3, phase: 'running' }, spec: config });

  test('the configuration is the spec string of the printed resource, every document of it', () => {
    expect(machineConfigFromTalosctl(printed)).toBe(config);
    expect(() => machineConfigFromTalosctl('node: x\n')).toThrow(/no MachineConfig resource/);
  });

  test('the node goes in as one argv entry, the talosconfig on stdin into a 0600 file that is removed; talosctl gets nothing else', async () => {
    writeFileSync(join(dir, 'printed.yaml'), printed);
    writeFileSync(join(dir, 'talosctl'), [
      '#!/bin/sh',
      `printf '%s\\n' "$@" > '${dir}/argv'`,
      `stat -c %a ./talosconfig > '${dir}/mode'; cp ./talosconfig '${dir}/seen-talosconfig'; pwd > '${dir}/cwd'`,
      `env | grep -c . > '${dir}/envcount'`,
      `cat '${dir}/printed.yaml'`,
    ].join('\n'));
    chmodSync(join(dir, 'talosctl'), 0o755);
    const node = '10.0.0.1; touch /tmp/bulwark-pwned $(id)';
    const got = await readMachineConfig(node, 'context: prod\nkey: secret\n', { PATH: `${dir}:/usr/bin:/bin` });
    expect(got).toBe(config);
    expect(readFileSync(join(dir, 'argv'), 'utf8').split('\n').slice(0, -1)).toEqual(['--talosconfig', './talosconfig', '--nodes', node, 'get', 'machineconfig', '-o', 'yaml']);
    expect(readFileSync(join(dir, 'seen-talosconfig'), 'utf8')).toBe('context: prod\nkey: secret\n');
    expect(readFileSync(join(dir, 'mode'), 'utf8').trim()).toBe('600');
    expect(() => readFileSync(join(readFileSync(join(dir, 'cwd'), 'utf8').trim(), 'talosconfig'))).toThrow(/ENOENT/);
    expect(GET_MACHINECONFIG_SCRIPT).not.toMatch(/\$\{|`/); // a constant: no value is ever written into it
  });

  test('a talosctl failure names the node and exit code, without its stdout', async () => {
    writeFileSync(join(dir, 'talosctl'), '#!/bin/sh\necho "spec: secret-key-material"\necho "rpc error: connection refused" >&2\nexit 1\n');
    await expect(readMachineConfig('10.0.0.9', 'x', { PATH: `${dir}:/usr/bin:/bin` })).rejects.toThrow(/10\.0\.0\.9 exited 1: rpc error: connection refused/);
    await expect(readMachineConfig('10.0.0.9', 'x', { PATH: `${dir}:/usr/bin:/bin` })).rejects.not.toThrow(/secret-key-material/);
  });
});

describe('--kubeconfig for an existing cluster', () => {
  test('its current context\'s server, CA and client certificate; what is missing is named, all at once', () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const kc = (user: Record<string, string>) => stringify({
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64('CA') } }],
      users: [{ name: 'u', user }], contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }], 'current-context': 'x',
    });
    expect(kubeconfigAccess(kc({ 'client-certificate-data': b64('CRT'), 'client-key-data': b64('KEY') }), 'k')).toEqual({ server: 'https://127.0.0.1:6443', caPem: 'CA', cert: 'CRT', key: 'KEY' });
    expect(() => kubeconfigAccess(kc({ token: 'abc' }), 'admin.kubeconfig')).toThrow(/--kubeconfig admin\.kubeconfig: its current context lacks users\[\]\.user\.client-certificate-data, users\[\]\.user\.client-key-data/);
  });
});
