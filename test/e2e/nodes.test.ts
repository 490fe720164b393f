/**
 * GitHub issue 14: real nodes. For each example stack the real control plane (e2e/harness/cluster.ts) gets real
 * nodes (e2e/harness/node.ts: containerd, runc, gVisor, kubelet with Talos's computed configuration, kube-proxy,
 * CoreDNS, in network namespaces), and the claims that take effect on the node are checked with real pods created
 * by the real tenants (OIDC tokens). Results: out/e2e/results.json, judge "real node (...)".
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { request } from 'node:https';
import { parse as parseYaml } from 'yaml';
import { verificationPath } from '../../core/posture/verification';
import { REPO_ROOT } from '../../core/stack';
import { evidence, talosException } from '../../core/cis/report';
import { ControlPlane, startControlPlane } from '../../e2e/harness/cluster';
import { Idp, login, startIdps } from '../../e2e/harness/idp';
import type { Identity, K8sObj } from '../../e2e/harness/kube';
import { NodePlan, NodeSet, RunningNode, startNodes } from '../../e2e/harness/node';
import { KUBELET_CONFIG_CHANGES, argsMap, localKubeletArgs } from '../../e2e/harness/node-kubelet';
import { runKubeBenchNode } from '../../e2e/harness/node-bench';
import { SITE } from '../../e2e/harness/node-net';
import { findNodeTools, nodeJudge } from '../../e2e/harness/node-tools';
import { run, waitFor } from '../../e2e/harness/proc';
import { Results } from '../../e2e/harness/results';
import { PreparedStack, prepareStack } from '../../e2e/harness/stack';
import { loadTools } from '../../e2e/harness/tools';
import { testSecrets } from '../helpers';
import { computeWorker } from '../talos/compute-worker';
import { computeControlPlane } from '../talos/talosctl';
import { HOST_UID_MAP, Info, policiesOf, sandboxClass, tenantPod, testappPod } from './nodes-pods';

// Every example stack with nodes runs: lab (single-team, Talos 1.14), prod (multi-team, Talos 1.13), saas
// (hostile-multi-tenant, 1.14); BULWARK_E2E_NODE_STACKS=lab narrows it. All three use flannel (pods here: the CNI
// bridge) and Talos's kube-proxy: on 1.14 from its KubeProxyConfiguration (--config), on 1.13 from the DaemonSet's
// flags (e2e/harness/node-kube-proxy.ts). saas's gVisor shim runs through the wrapper of e2e/harness/containerd.ts
// (this machine withholds CAP_SYS_RESOURCE; see there).
const STACKS = (process.env.BULWARK_E2E_NODE_STACKS ?? 'lab,prod,saas').split(',').filter(Boolean);
const tools = loadTools();
const found = findNodeTools();
const nodeTools = 'absent' in found ? undefined : found;
const results = new Results(tools.kubernetesVersion, nodeTools ? nodeJudge(nodeTools) : 'real node');
const base = mkdtempSync(join(tmpdir(), 'bulwark-e2e-nodes-'));
let idp: Idp;
let rogue: Idp;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

beforeAll(async () => {
  if (!nodeTools) throw new Error(`no real nodes: ${(found as { absent: string }).absent}`);
  ({ idp, rogue } = await startIdps(join(base, 'idp'), STACKS));
}, 120_000);

afterAll(async () => {
  results.write(verificationPath(REPO_ROOT));
  console.log(`node results (${verificationPath(REPO_ROOT)}):\n${results.table()}`);
  await rogue?.stop();
  await idp?.stop();
  if (process.env.BULWARK_E2E_KEEP) console.log(`kept ${base}`);
  else rmSync(base, { recursive: true, force: true });
});

/** Two nodes per stack: the shared worker (sandbox pool in saas) and the control plane or the dedicated pool. */
function nodePlan(st: PreparedStack): NodePlan[] {
  const nodes = st.v.stack.nodes;
  const pooled = new Set(st.v.stack.tenants.flatMap((t) => Object.entries(t.dedicatedNodes ?? {}).map(([k, v]) => `${k}=${v}`)));
  const inPool = (n: (typeof nodes)[number]) => Object.entries(n.labels ?? {}).some(([k, v]) => pooled.has(`${k}=${v}`));
  const shared = nodes.find((n) => n.role === 'worker' && !inPool(n))!;
  const second = nodes.find((n) => n.role === 'worker' && inPool(n)) ?? nodes.find((n) => n.role === 'controlplane')!;
  return [shared, second].map((n) => ({ name: n.name, sandbox: !!n.sandbox }));
}

const tcpOpen = (host: string, port: number) => new Promise<boolean>((resolve) => {
  const s = connect(port, host);
  s.setTimeout(3000);
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
  s.once('timeout', () => { s.destroy(); resolve(false); });
});

/** JSON with every object's keys sorted: the kubelet serialises taints in its own field order. */
const canonical = (x: unknown): string => JSON.stringify(x, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));

/** A request straight to a kubelet's API (:10250), verifying its serving certificate against the cluster CA when it has one. */
const kubeletGet = (node: RunningNode, path: string, caPem: string, token?: string) => new Promise<number>((resolve, reject) => {
  const verify = !!node.kubeletConfig.serverTLSBootstrap;
  const req = request({ host: node.ip, port: node.kubeletConfig.port ?? 10250, path, method: 'GET', ca: caPem, rejectUnauthorized: verify, servername: node.name, agent: false, timeout: 10_000,
    headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
  req.on('error', reject);
  req.end();
});

for (const stackName of STACKS) {
  describe(`${stackName} on real nodes`, () => {
    let st: PreparedStack;
    let cp: ControlPlane;
    let ns: NodeSet;
    let admin: Identity;
    let platformAdmin: Identity;
    const tenantUser: Record<string, Identity> = {};
    const enforced = (ids: string[]) => ids.filter((id) => st.rendered.posture.controls.some((c) => c.id === id && c.status === 'enforced'));
    const claim = (c: string, controls: string[], check: () => Promise<string | void>) => results.claim(stackName, c, enforced(controls), check);
    const image = () => ns.registry.images.testapp;
    const tenants = () => st.v.stack.tenants.map((t) => t.name);

    const create = async (id: Identity, pod: K8sObj) => {
      const r = await cp.kube.create(id, pod, admin);
      if (r.status !== 201) throw new Error(`${id.name} creates pod ${pod.metadata.namespace}/${pod.metadata.name}: HTTP ${r.status} ${r.json?.message ?? r.text.slice(0, 300)}`);
      return r.json as Doc;
    };
    const getPod = async (namespace: string, name: string) => (await cp.kube.request(admin, 'GET', `/api/v1/namespaces/${namespace}/pods/${name}`)).json as Doc;
    /** Waits until the pod is Ready; fails with its status, events and the kubelet's view when it is not. */
    const ready = async (namespace: string, name: string, timeoutMs = 120_000) => {
      try {
        await waitFor(`pod ${namespace}/${name} Ready`, async () => ((await getPod(namespace, name)).status?.conditions ?? []).some((c: Doc) => c.type === 'Ready' && c.status === 'True'), timeoutMs);
      } catch (e) {
        const p = await getPod(namespace, name);
        const ev = (await cp.kube.request(admin, 'GET', `/api/v1/namespaces/${namespace}/events?fieldSelector=involvedObject.name=${name}`)).json?.items ?? [];
        throw new Error(`${(e as Error).message}\nphase ${p.status?.phase} on ${p.spec?.nodeName}: ${JSON.stringify(p.status?.containerStatuses ?? p.status?.conditions).slice(0, 600)}\nevents: ${ev.map((x: Doc) => `${x.reason}: ${x.message}`).join(' | ').slice(0, 1200)}`);
      }
      return getPod(namespace, name);
    };
    const info = async (namespace: string, name: string, id: Identity = admin): Promise<Info> => {
      const r = await ns.kubectl(id, ['exec', '-n', namespace, name, '--', '/testapp', 'info']);
      if (r.code !== 0) throw new Error(`kubectl exec ${namespace}/${name} testapp info: ${r.stderr.trim()}`);
      return JSON.parse(r.stdout) as Info;
    };
    /** Why a non-passing node check is acceptable: Bulwark's evidence and Talos exceptions (core/cis/report.ts), or a waiver. */
    const explainNode = (id: string, kubeletCmdline: string, kubeletConfig: Doc) => {
      const ev = evidence(id, kubeletCmdline, st.contract, kubeletConfig);
      if (ev) return `evidence: ${ev}`;
      const ex = talosException(id);
      if (ex) return `talos-exception: ${ex}`;
      const w = st.rendered.decisions.find((d) => d.status.state === 'waived' && d.control.references.cis?.includes(id));
      return w && w.status.state === 'waived' ? `waived: ${w.control.id} by ${w.status.by}: ${w.status.reason}` : undefined;
    };
    const nodeOf = (name: string) => ns.nodes.find((n) => n.name === name)!;
    /** The Node's labels as the API server has them: Talos's plus the deployer's pool labels (catalogue/node-pools.ts). */
    const liveLabels = async (name: string) => ((await cp.kube.request(admin, 'GET', `/api/v1/nodes/${name}`)).json?.metadata?.labels ?? {}) as Record<string, string>;

    beforeAll(async () => {
      const secrets = await testSecrets();
      st = await prepareStack(stackName, idp.issuer, idp.caPem, secrets);
      results.stack(stackName, st.rendered.posture.profile);
      const dir = join(base, stackName);
      cp = await startControlPlane({ dir, flags: st.flags, files: st.files, secrets, tools, serverIps: [SITE.hostIp] });
      admin = cp.admin;
      for (const o of [...st.rendered.objects, ...[...st.rendered.tenantObjects.values()].flat()] as K8sObj[]) {
        const r = await cp.kube.apply(admin, o);
        if (r.status !== 200 && r.status !== 201) throw new Error(`apply ${o.kind}/${o.metadata.name}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
      }
      platformAdmin = { name: 'platform-admin', token: await idp.token(login.admin(stackName), st.oidc.clientId) };
      for (const t of tenants()) tenantUser[t] = { name: `tenant-${t}`, token: await idp.token(login.tenant(stackName, t), st.oidc.clientId) };
      const t0 = Date.now();
      try {
        ns = await startNodes({ dir: join(dir, 'nodes'), st, cp, tools: nodeTools!, plan: nodePlan(st) });
      } catch (e) {
        // every node claim of this stack is then unverified: say why in results.json, not only in jest's output
        results.record(stackName, 'nodes run the kubelet Talos computes (deviations listed) and become Ready', [], 'failed', String((e as Error).message).slice(0, 2000));
        throw e;
      }
      console.log(`[${stackName}] ${ns.nodes.length} nodes Ready in ${Math.round((Date.now() - t0) / 1000)} s`);
      for (const t of tenants())
        await waitFor(`${t}/default ServiceAccount`, async () => (await cp.kube.request(admin, 'GET', `/api/v1/namespaces/${t}/serviceaccounts/default`)).status === 200, 30_000);
      await waitFor('OIDC authenticator', async () => (await cp.kube.request(tenantUser[tenants()[0]], 'GET', `/api/v1/namespaces/${tenants()[0]}/pods`)).status === 200, 30_000);
    }, 420_000);

    afterAll(async () => {
      await ns?.stop();
      await cp?.stop();
    }, 180_000);

    test('nodes register with Talos\'s kubelet configuration and become Ready', async () => {
      await claim('nodes run the kubelet Talos computes (deviations listed) and become Ready', ['k8s.kubelet.certificate-rotation', 'k8s.kubelet.serving-certificates', 'k8s.kubelet.pod-pids-limit', 'k8s.kubelet.event-qps'], async () => {
        const notes: string[] = [];
        for (const n of ns.nodes) {
          const node = (await cp.kube.request(admin, 'GET', `/api/v1/nodes/${n.name}`)).json as Doc;
          for (const [k, v] of Object.entries(n.talos.labels)) expect(node.metadata.labels[k]).toBe(v);
          const want = n.talos.taints;
          for (const t of want) expect(node.spec.taints).toEqual(expect.arrayContaining([expect.objectContaining({ key: t.key, effect: t.effect })]));
          if (n.kubeletConfig.rotateCertificates) expect(node.metadata.annotations ?? {}).toBeDefined();
          notes.push(`${n.name} (${n.role}${n.kubeletConfig.serverTLSBootstrap ? ', serving cert from the cluster CA' : ''}): taints ${want.map((t) => t.key).join(',') || 'none'}, podPidsLimit ${n.kubeletConfig.podPidsLimit}`);
        }
        return `${notes.join('; ')}. Deviations from Talos: ${ns.deviations.join(' | ')}`;
      });
    });

    test('each kubelet runs the KubeletConfiguration and flags Talos computes for its node (/configz, its command line)', async () => {
      await claim('each kubelet serves (/configz) the KubeletConfiguration Talos\'s controllers compute for its node, control plane and worker, and runs with Talos\'s flags; only the listed changes differ', ['k8s.kubelet.authn-authz', 'k8s.kubelet.tls', 'k8s.kubelet.certificate-rotation', 'k8s.kubelet.serving-certificates', 'k8s.kubelet.pod-pids-limit', 'k8s.kubelet.event-qps', 'runtime.seccomp.default'], async () => {
        const line = st.v.stack.cluster.talosVersion.replace(/^v/, '').split('.').slice(0, 2).join('.') as '1.13' | '1.14';
        const notes: string[] = [];
        for (const n of ns.nodes) {
          // computed here, independently of the harness: talos-compute's control-plane or worker mode on the node's own config
          const config = st.rendered.nodes.find((x) => x.name === n.name)!.config;
          const talos = n.role === 'controlplane' ? computeControlPlane(line, config, n.name, n.ip).kubelet : computeWorker(line, config, n.name, n.ip).kubelet;
          const r = await cp.kube.request(admin, 'GET', `/api/v1/nodes/${n.name}/proxy/configz`);
          if (r.status !== 200) throw new Error(`${n.name} /configz through the API server: HTTP ${r.status} ${r.text.slice(0, 200)}`);
          const served = r.json.kubeletconfig as Doc;
          const wrong: string[] = [];
          const defaulted: string[] = [];
          let same = 0;
          const walk = (want: unknown, got: unknown, path: string) => {
            const changed = Object.keys(KUBELET_CONFIG_CHANGES).find((k) => path === k || path.startsWith(`${k}.`));
            if (changed) return;
            if (want && typeof want === 'object' && !Array.isArray(want) && Object.keys(want).length) {
              for (const [k, v] of Object.entries(want)) walk(v, (got as Doc | undefined)?.[k], path ? `${path}.${k}` : k);
              return;
            }
            if (canonical(want) === canonical(got)) { same++; return; }
            // Go's zero value of a field without omitempty ("0s", 0, {}): the kubelet applies its own default, as on Talos
            if (want === '0s' || want === 0 || want === '0' || (want && typeof want === 'object' && !Object.keys(want).length)) { defaulted.push(path); return; }
            wrong.push(`${path}: Talos ${JSON.stringify(want)}, served ${JSON.stringify(got)}`);
          };
          walk(talos.config, served, '');
          // /configz omits false booleans (omitempty)
          for (const k of ['failCgroupV1', 'protectKernelDefaults', 'cgroupRoot']) if (JSON.stringify(served[k] ?? false) !== JSON.stringify(n.kubeletConfig[k])) wrong.push(`${k} (changed by the harness to ${JSON.stringify(n.kubeletConfig[k])}): served ${JSON.stringify(served[k])}`);
          // the command line: Talos's flags, paths under the node folder, plus --root-dir
          const cmdline = readFileSync(`/proc/${n.procs[1].child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
          const ran = argsMap(cmdline.slice(cmdline.indexOf('--') + 2));
          const want = localKubeletArgs(argsMap(talos.args), (p) => join(n.dir, 'root', p));
          if (JSON.stringify(Object.entries(ran).sort()) !== JSON.stringify(Object.entries(want).sort())) wrong.push(`flags: ran ${JSON.stringify(ran)}, Talos's (localised) ${JSON.stringify(want)}`);
          expect(`${n.name}: ${wrong.join('; ')}`).toBe(`${n.name}: `);
          notes.push(`${n.name} (${n.role}, talos-compute ${n.role === 'controlplane' ? 'control-plane' : 'worker'} mode): ${same} of Talos's fields served as computed, ${defaulted.length} Go zero values defaulted by the kubelet (${defaulted.join(',')}), ${Object.keys(talos.args).length} flags as computed`);
        }
        return `${notes.join('; ')}. Changed by the harness: ${Object.keys(KUBELET_CONFIG_CHANGES).join(', ')}`;
      });
    });

    test('kube-proxy runs the command line of Talos\'s kube-proxy DaemonSet; its metrics answer on loopback only', async () => {
      await claim('kube-proxy runs Talos\'s DaemonSet command line (1.14: --config with its KubeProxyConfiguration; 1.13: its flags); metrics on 127.0.0.1:10249, not on the node address', ['k8s.kube-proxy.metrics-loopback'], async () => {
        const line = st.v.stack.cluster.talosVersion.replace(/^v/, '').split('.').slice(0, 2).join('.') as '1.13' | '1.14';
        const cpRendered = st.rendered.nodes.find((x) => x.role === 'controlplane')!;
        const cpAddress = st.v.stack.nodes.find((x) => x.name === cpRendered.name)!.address.split('/')[0];
        // computed here, independently of the harness: Talos's DaemonSet from the control plane's config
        const manifests = computeControlPlane(line, cpRendered.config, cpRendered.name, cpAddress).manifests as Doc[];
        const ds = manifests.find((m) => m.kind === 'DaemonSet' && m.metadata.name === 'kube-proxy')!;
        const talos = argsMap((ds.spec.template.spec.containers as Doc[]).find((c) => c.name === 'kube-proxy')!.command.slice(1));
        const notes: string[] = [];
        for (const n of ns.nodes) {
          const p = n.procs.find((x) => x.name === `kube-proxy ${n.name}`)!;
          const cmdline = readFileSync(`/proc/${p.child.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
          const ran = argsMap(cmdline.slice(cmdline.indexOf('--') + 2));
          expect(Object.keys(ran).sort()).toEqual(Object.keys(talos).sort());
          const wrong: string[] = [];
          for (const [k, v] of Object.entries(talos)) {
            if (k === 'hostname-override') { if (ran[k] !== n.name) wrong.push(`${k}=${ran[k]}`); continue; }
            if (k === 'kubeconfig' || k === 'config') { if (!ran[k].startsWith(`${n.dir}/`)) wrong.push(`${k}=${ran[k]} (Talos ${v}) not the node's file`); continue; }
            if (ran[k] !== v) wrong.push(`${k}: Talos ${v}, ran ${ran[k]}`);
          }
          if (talos.config) {
            const cm = manifests.find((m) => m.kind === 'ConfigMap' && String(m.metadata.name).startsWith('kube-proxy-config'))!;
            const want = parseYaml(cm.data['config.conf']) as Doc;
            const got = parseYaml(readFileSync(ran.config, 'utf8')) as Doc;
            if (canonical({ ...got, clientConnection: { ...got.clientConnection, kubeconfig: want.clientConnection.kubeconfig } }) !== canonical(want)) wrong.push(`config: Talos ${JSON.stringify(want)}, ran ${JSON.stringify(got)}`);
          }
          expect(`${n.name}: ${wrong.join('; ')}`).toBe(`${n.name}: `);
          // the metrics listener, seen from the node's own network namespace, and from outside it
          const ss = await run('ip', ['netns', 'exec', n.net.netns, 'ss', '-Hltn', 'sport = :10249'], { timeoutMs: 10_000 });
          const listeners = ss.stdout.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/)[3]);
          expect(listeners).toEqual(['127.0.0.1:10249']);
          expect(await tcpOpen(n.ip, 10249)).toBe(false);
          notes.push(`${n.name}: ${Object.keys(talos).length} flags as Talos's${talos.config ? ' (--config: Talos\'s KubeProxyConfiguration, kubeconfig path changed)' : ''}, metrics listener ${listeners.join(',')}, ${n.ip}:10249 closed`);
        }
        return `Talos ${line}: ${notes.join('; ')}`;
      });
    });

    test('a tenant\'s pod meeting every admission policy runs Ready; inside it: seccomp, capabilities, user namespace or gVisor, no token', async () => {
      const rc = sandboxClass(st);
      const sandboxed = policiesOf(st).includes('bulwark-sandbox-required');
      const controls = ['tenancy.namespace.pod-security', 'k8s.pod-security.defaults', 'tenancy.admission.sandbox-required', 'tenancy.admission.user-namespaces', 'tenancy.admission.dedicated-nodes', 'k8s.apiserver.always-pull-images'];
      for (const t of tenants()) {
        await claim(`tenant ${t}: the pod every admission policy admits starts and becomes Ready`, controls, async () => {
          const pod = tenantPod(st, t, 'e2e-app', image());
          await create(tenantUser[t], pod);
          const p = await ready(t, 'e2e-app');
          // AlwaysPullImages (where the profile enables it) set the policy; the node then pulled from the registry
          if (st.flags.apiserver['enable-admission-plugins']?.includes('AlwaysPullImages')) expect(p.spec.containers[0].imagePullPolicy).toBe('Always');
          return `on ${p.spec.nodeName}${p.spec.runtimeClassName ? `, RuntimeClass ${p.spec.runtimeClassName}` : ''}${p.spec.hostUsers === false ? ', hostUsers: false' : ''}; image ${p.status.containerStatuses[0].imageID}`;
        });
      }
      const t = tenants()[0];
      const facts = await info(t, 'e2e-app', tenantUser[t]);
      if (sandboxed && rc) {
        await claim(`tenant pods run in the gVisor kernel (RuntimeClass ${rc})`, ['runtime.sandbox.runtime-class', 'tenancy.admission.sandbox-required'], async () => {
          const host = (await import('node:os')).release();
          expect(facts.kernelRelease).not.toBe(host);
          expect(facts.procVersion).not.toContain(host);
          return `uname -r in the pod ${facts.kernelRelease} (host ${host}); /proc/version: ${facts.procVersion.slice(0, 80)}`;
        });
      } else {
        await claim('RuntimeDefault seccomp in a tenant container: Seccomp mode 2', ['runtime.seccomp.default', 'tenancy.namespace.pod-security'], async () => {
          expect(facts.status.Seccomp).toBe('2');
          return `Seccomp ${facts.status.Seccomp}, filters ${facts.status.Seccomp_filters}, NoNewPrivs ${facts.status.NoNewPrivs}`;
        });
      }
      await claim('tenant container: no effective, permitted or bounding capabilities (drop ALL), no privilege escalation', ['tenancy.namespace.pod-security', 'k8s.pod-security.defaults'], async () => {
        for (const k of ['CapEff', 'CapPrm', 'CapAmb']) expect(BigInt(`0x${facts.status[k]}`)).toBe(0n);
        expect(facts.status.NoNewPrivs).toBe('1');
        return `CapEff ${facts.status.CapEff} CapPrm ${facts.status.CapPrm} CapBnd ${facts.status.CapBnd} NoNewPrivs ${facts.status.NoNewPrivs} uid ${facts.uid}`;
      });
      await claim('automountServiceAccountToken: false → no service-account token in the container (and one where it is on)', [], async () => {
        expect(facts.serviceAccountToken).toBe(false);
        const withToken = tenantPod(st, t, 'e2e-token', image(), { automountServiceAccountToken: true });
        await create(tenantUser[t], withToken);
        await ready(t, 'e2e-token');
        expect((await info(t, 'e2e-token', tenantUser[t])).serviceAccountToken).toBe(true);
        return 'automount off: no token file; automount on: token mounted (the check can tell)';
      });
    });

    test('user namespaces: hostUsers: false maps container root away from host root', async () => {
      // saas: platform pods on the shared-kernel runtime (tenant pods are sandboxed); others: where their profile asks
      const ids = policiesOf(st).includes('bulwark-user-namespaces') ? ['runtime.userns.enabled', 'tenancy.admission.user-namespaces'] : ['runtime.userns.enabled'];
      await claim('hostUsers: false → /proc/self/uid_map is not the host\'s identity map', ids, async () => {
        const worker = ns.nodes.find((n) => n.role === 'worker')!;
        const tolerations = worker.talos.taints.map((x) => ({ key: x.key, operator: 'Exists', effect: x.effect }));
        const pod = testappPod('e2e-userns', image(), { hostUsers: false, nodeName: worker.name, tolerations });
        await create(admin, { ...pod, metadata: { ...pod.metadata, namespace: 'kube-system' } });
        await ready('kube-system', 'e2e-userns');
        const f = await info('kube-system', 'e2e-userns');
        expect(f.uidMap).not.toMatch(HOST_UID_MAP);
        const host = testappPod('e2e-hostusers', image(), { nodeName: worker.name, tolerations });
        await create(admin, { ...host, metadata: { ...host.metadata, namespace: 'kube-system' } });
        await ready('kube-system', 'e2e-hostusers');
        expect((await info('kube-system', 'e2e-hostusers')).uidMap).toMatch(HOST_UID_MAP);
        return `uid_map "${f.uidMap}" (a pod without it: the host's "0 0 4294967295"), on ${worker.name} (runc)`;
      });
    });

    test('a platform pod in kube-system runs; the kubelet\'s seccompDefault covers pods that ask for nothing', async () => {
      await claim('platform pod in kube-system (no seccompProfile in its spec) runs Ready with Seccomp mode 2 from the kubelet default', ['runtime.seccomp.default'], async () => {
        const worker = ns.nodes.find((n) => n.role === 'worker')!;
        const tolerations = worker.talos.taints.map((x) => ({ key: x.key, operator: 'Exists', effect: x.effect }));
        const pod = testappPod('e2e-platform', image(), { nodeName: worker.name, tolerations, securityContext: { runAsNonRoot: true, runAsUser: 65532 } });
        await create(platformAdmin, { ...pod, metadata: { ...pod.metadata, namespace: 'kube-system' } });
        const p = await ready('kube-system', 'e2e-platform');
        const f = await info('kube-system', 'e2e-platform');
        expect(worker.kubeletConfig.seccompDefault).toBe(true);
        expect(f.status.Seccomp).toBe('2');
        return `created by the platform admin, on ${p.spec.nodeName} (runc): Seccomp ${f.status.Seccomp}`;
      });
    });

    test('the sandbox refuses what the policy refuses: gVisor with hostUsers: false does not run on the node', async () => {
        const rc = sandboxClass(st);
        if (!rc) return;
        // kubelet 1.36 passes the pod on; runsc then fails to join the user namespace containerd pinned for the
        // sandbox ("gofer: error setting namespace of type user ...: invalid argument"). Either refusal counts.
        await claim(`the node refuses RuntimeClass ${rc} with hostUsers: false (the combination bulwark-user-namespaces refuses)`, ['tenancy.admission.user-namespaces'], async () => {
          const pod = testappPod('e2e-gvisor-userns', image(), { runtimeClassName: rc, hostUsers: false });
          await create(admin, { ...pod, metadata: { ...pod.metadata, namespace: 'kube-system' } });
          let why = '';
          await waitFor('kubelet refusal', async () => {
            const ev = (await cp.kube.request(admin, 'GET', '/api/v1/namespaces/kube-system/events?fieldSelector=involvedObject.name=e2e-gvisor-userns')).json?.items ?? [];
            const p = await getPod('kube-system', 'e2e-gvisor-userns');
            why = [...ev.map((x: Doc) => `${x.reason}: ${x.message}`), p.status?.message ?? ''].join(' | ');
            return /user namespace|namespace of type user/i.test(why);
          }, 60_000).catch((e) => { throw new Error(`${(e as Error).message}; pod status and events: ${why.slice(0, 800) || '(none)'}`); });
          const p = await getPod('kube-system', 'e2e-gvisor-userns');
          expect((p.status?.conditions ?? []).some((c: Doc) => c.type === 'Ready' && c.status === 'True')).toBe(false);
          return why.slice(0, 300);
        });
      });

    test('the kubelet API: anonymous 401, read-only port closed, tenants denied on the kubelet and on other tenants\' pods', async () => {
      await claim('kubelet :10250 anonymous → 401; read-only port 10255 closed; a tenant token on the kubelet → 403', ['k8s.kubelet.authn-authz', 'k8s.kubelet.tls'], async () => {
        const notes: string[] = [];
        for (const n of ns.nodes) {
          for (const p of ['/pods', '/metrics', '/configz', '/runningpods/']) expect(await kubeletGet(n, p, cp.caPem)).toBe(401);
          expect(await tcpOpen(n.ip, 10255)).toBe(false);
          const t = tenants()[0];
          expect(await kubeletGet(n, '/pods', cp.caPem, tenantUser[t].token)).toBe(403);
          notes.push(`${n.name}: anonymous 401 on /pods /metrics /configz /runningpods, 10255 closed, tenant 403${n.kubeletConfig.serverTLSBootstrap ? ', serving certificate verified against the cluster CA' : ''}`);
        }
        return notes.join('; ');
      });
      if (tenants().length < 2) return;
      await claim('a tenant\'s exec, logs and port-forward on another tenant\'s pod are denied end to end (kubectl)', ['tenancy.rbac.tenant-admin'], async () => {
        const [a, b] = tenants();
        const own = await ns.kubectl(tenantUser[b], ['exec', '-n', b, 'e2e-app', '--', '/testapp', 'info']);
        expect(own.code).toBe(0);
        const denied: string[] = [];
        for (const [what, args] of [
          ['exec', ['exec', '-n', b, 'e2e-app', '--', '/testapp', 'info']],
          ['logs', ['logs', '-n', b, 'e2e-app']],
          ['port-forward', ['port-forward', '-n', b, 'pod/e2e-app', ':8080', '--address', '127.0.0.1']],
        ] as [string, string[]][]) {
          const r = await ns.kubectl(tenantUser[a], args, 20_000);
          expect(r.code).not.toBe(0);
          expect(r.stderr).toMatch(/forbidden/i);
          denied.push(what);
        }
        return `${a} on ${b}/e2e-app: ${denied.join(', ')} forbidden; ${b}'s own exec works`;
      });
    });

    test('scheduling on two nodes: control planes and dedicated pools keep other tenants\' pods out', async () => {
      // the control-plane claim only where a control-plane kubelet runs (lab, prod); saas's second node is its dedicated pool
      const withCp = ns.nodes.some((n) => n.role === 'controlplane');
      await claim(withCp ? 'tenant pods never land on the control plane node (its kubelet registers with the control-plane taint)' : 'tenant pods land only on workers of their own pool',
        [...(withCp ? ['k8s.scheduling.control-planes-isolated'] : []), 'tenancy.admission.dedicated-nodes', 'tenancy.admission.node-isolation'], async () => {
        const cpNodes = new Set(ns.nodes.filter((n) => n.role === 'controlplane').map((n) => n.name));
        const notes: string[] = [];
        for (const t of tenants()) {
          const p = await getPod(t, 'e2e-app');
          const node = nodeOf(p.spec.nodeName);
          expect(cpNodes.has(node.name)).toBe(false);
          const own = st.v.stack.tenants.find((x) => x.name === t)!.dedicatedNodes;
          const labels = await liveLabels(node.name);
          if (own) for (const [k, v] of Object.entries(own)) expect(labels[k]).toBe(v);
          else for (const other of st.v.stack.tenants.filter((x) => x.dedicatedNodes)) for (const [k, v] of Object.entries(other.dedicatedNodes!)) expect(labels[k]).not.toBe(v);
          notes.push(`${t} → ${node.name}`);
        }
        // a second node must exist to be avoided: the control plane (lab, prod) or the dedicated pool (saas)
        const live = await Promise.all(ns.nodes.map(async (n) => ({ n, labels: await liveLabels(n.name) })));
        const avoided = live.find(({ n, labels }) => n.role === 'controlplane' || Object.keys(labels).some((k) => k.startsWith('node-restriction.kubernetes.io/')))?.n;
        return `${notes.join(', ')}; avoided ${avoided?.name ?? '(none)'}`;
      });
      const pooled = st.v.stack.tenants.find((t) => t.dedicatedNodes);
      const other = st.v.stack.tenants.find((t) => !t.dedicatedNodes);
      if (pooled && other) {
        await claim('another tenant\'s pod cannot reach the dedicated node by selector, toleration or nodeName', ['tenancy.admission.dedicated-nodes', 'tenancy.admission.node-isolation'], async () => {
          const live = await Promise.all(ns.nodes.map(async (n) => ({ n, labels: await liveLabels(n.name) })));
          const poolNode = live.find(({ labels }) => Object.entries(pooled.dedicatedNodes!).every(([k, v]) => labels[k] === v))!.n;
          const [k, v] = Object.entries(pooled.dedicatedNodes!)[0];
          const out: string[] = [];
          for (const [what, spec] of [
            ['selector', { nodeSelector: { [k]: v } }],
            ['toleration', { tolerations: [{ key: k, operator: 'Equal', value: v, effect: 'NoSchedule' }] }],
            ['nodeName', { nodeName: poolNode.name }],
          ] as [string, Doc][]) {
            const r = await cp.kube.create(tenantUser[other.name], tenantPod(st, other.name, `e2e-into-pool-${what.toLowerCase()}`, image(), spec), admin);
            expect([403, 422]).toContain(r.status);
            out.push(`${what} ${r.status}`);
          }
          const onPool = ((await cp.kube.request(admin, 'GET', `/api/v1/pods?fieldSelector=spec.nodeName=${poolNode.name}`)).json.items as Doc[]).map((p) => p.metadata.namespace);
          expect(onPool.filter((n) => n !== pooled.name && n !== 'kube-system')).toEqual([]);
          return `${other.name} into ${poolNode.name}: ${out.join(', ')}; pods on it: ${[...new Set(onPool)].join(',') || 'none'}`;
        });
      }
    });

    test('a Service and its DNS name work inside the tenant namespace (kube-proxy, CoreDNS)', async () => {
      await claim('a tenant pod resolves its namespace\'s Service through CoreDNS and reaches it through kube-proxy', [], async () => {
        const t = tenants()[0];
        const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'e2e-web', namespace: t }, spec: { selector: { app: 'e2e-app' }, ports: [{ port: 80, targetPort: 8080 }] } };
        const r = await cp.kube.create(tenantUser[t], svc as K8sObj, admin);
        if (r.status !== 201) throw new Error(`create Service: HTTP ${r.status} ${r.text.slice(0, 200)}`);
        await create(tenantUser[t], tenantPod(st, t, 'e2e-client', image()));
        await ready(t, 'e2e-client');
        const name = `e2e-web.${t}.svc.cluster.local`;
        let resolved = '';
        let body = '';
        await waitFor(`${name} through DNS and the Service`, async () => {
          const d = await ns.kubectl(tenantUser[t], ['exec', '-n', t, 'e2e-client', '--', '/testapp', 'resolve', name]);
          resolved = d.stdout.trim();
          const g = await ns.kubectl(tenantUser[t], ['exec', '-n', t, 'e2e-client', '--', '/testapp', 'get', `http://${name}/`]);
          body = g.stdout.trim();
          return d.code === 0 && g.code === 0 && body.startsWith('ok');
        }, 60_000);
        return `${name} → ${resolved} (the Service's ClusterIP ${r.json.spec.clusterIP}); GET: "${body}". NetworkPolicies are not enforced here (no enforcer runs on this kernel: cyclonus judges them)`;
      });
    });

    test('kube-bench node targets (CIS 1.12 section 4) against the real kubelet', async () => {
      const n = ns.nodes.find((x) => x.role === 'worker')!;
      const checks = await runKubeBenchNode(tools.kubeBench, tools.kubeBenchCfg, n, join(n.dir, 'kube-proxy/kubeconfig'));
      const automated = checks.filter((c) => !c.manual);
      const count = (s: string) => checks.filter((c) => c.status === s).length;
      const cmdline = Object.entries(n.kubeletArgs).map(([k, v]) => `--${k}=${v}`).join(' ');
      const used: string[] = [];
      const unexplained: string[] = [];
      for (const c of automated.filter((x) => x.status !== 'PASS')) {
        const why = explainNode(c.id, cmdline, n.kubeletConfig);
        if (why) used.push(`${c.id} ${c.status}: ${why.slice(0, 110)}`);
        else unexplained.push(`${c.id} ${c.status} ${c.text}`);
      }
      const summary = `PASS ${count('PASS')} FAIL ${count('FAIL')} WARN ${count('WARN')} INFO ${count('INFO')} (automated ${automated.length}, manual ${checks.length - automated.length})`;
      console.log(`[${stackName}] kube-bench node (${n.name}) ${summary}\nkubelet: ${cmdline}\nexceptions used:\n  ${used.join('\n  ') || '(none)'}\nunexplained:\n  ${unexplained.join('\n  ') || '(none)'}`);
      await claim('kube-bench cis-1.12 node targets: every automated check passes or is a documented exception', ['k8s.kubelet.authn-authz', 'k8s.kubelet.tls', 'k8s.kubelet.certificate-rotation', 'k8s.kubelet.event-qps', 'k8s.kube-proxy.metrics-loopback'], async () => {
        if (!automated.length) throw new Error('kube-bench ran no automated node check');
        if (unexplained.length) throw new Error(`kube-bench node: ${unexplained.length} unexplained: ${unexplained.join('; ')}`);
        return `${n.name}: ${summary}; ${used.length} exceptions`;
      });
    });
  });
}
