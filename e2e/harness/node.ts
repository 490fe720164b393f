/**
 * Real nodes for the e2e control plane: per node a network namespace (node-net.ts), containerd as Talos configures
 * it (containerd.ts), and the kubelet with the KubeletConfiguration and flags Talos computes (node-kubelet.ts),
 * bootstrapped with the rendered bootstrap token through the real API server; kube-proxy with the command line of
 * Talos's kube-proxy DaemonSet (node-kube-proxy.ts), the CNI bridge (pod subnets from the controller manager,
 * host-gw routes), CoreDNS with Talos's Corefile. What differs from Talos is listed in `deviations` (and in e2e/README.md).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify, parse } from 'yaml';
import type { ControlPlane } from './cluster';
import { Containerd, startContainerd } from './containerd';
import type { Identity } from './kube';
import { applyAll, approveServingCsrs, bootstrapToken, labelNode, nodeManifests, taintNode } from './node-cluster';
import { forward, Forward } from './node-forward';
import { KUBELET_CONFIG_CHANGES, TalosKubelet, localKubeletArgs, localKubeletConfig, talosKubelet } from './node-kubelet';
import { NodeNet, SITE, addNodeNet, createSite, netnsPath, removeSite, routePodSubnet } from './node-net';
import { startDns, startKubeProxy } from './node-services';
import type { NodeTools } from './node-tools';
import { Proc, run, start, stop, waitFor } from './proc';
import { Registry, startRegistry } from './registry';
import type { PreparedStack } from './stack';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

export interface NodePlan { name: string; sandbox: boolean }

export interface RunningNode {
  name: string;
  role: string;
  ip: string;
  net: NodeNet;
  dir: string;
  talos: TalosKubelet;
  /** the KubeletConfiguration the kubelet was started with (Talos's, with KUBELET_CONFIG_CHANGES applied) */
  kubeletConfig: Doc;
  kubeletArgs: Record<string, string>;
  kubeletConfigPath: string;
  containerd: Containerd;
  procs: Proc[];
  podCidr?: string;
}

export interface NodeSet {
  nodes: RunningNode[];
  registry: Registry;
  deviations: string[];
  /** kubectl as `id`, e.g. exec; the kubeconfig is a 0600 file, tokens never on a command line */
  kubectl(id: Identity, args: string[], timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Deviations every node has (the per-node ones are added with the node's name). */
const COMMON_DEVIATIONS = [
  ...Object.entries(KUBELET_CONFIG_CHANGES).map(([k, why]) => `kubelet ${k}: ${why}`),
  'kubelet flags: Talos\'s, their paths under the node folder, plus --root-dir there; containerd root/state/socket and CNI folders under it too',
  'the node\'s /var (kubelet and containerd state) is a tmpfs of its own, as Talos\'s EPHEMERAL partition is a disk of its own',
  'kubelet and containerd in a network namespace each node, sharing the host\'s mount and PID namespaces',
  'API server reached at 198.18.0.1 (a forwarder to its loopback port) instead of KubePrism/the cluster endpoint',
  'CNI bridge + host-local with host-gw routes instead of flannel; kube-proxy and CoreDNS as processes with Talos\'s configuration, not as the DaemonSet/Deployment (kube-proxy: the DaemonSet\'s command line, on 1.14 --config with Talos\'s KubeProxyConfiguration, on 1.13 its flags; a service-account token kubeconfig instead of the in-cluster one)',
  'containerd sandbox image: the pause image built here (pause.c of the kubernetes module, tag 3.10.2) from the local registry instead of registry.k8s.io/pause:3.10.2',
  'containerd restrict_oom_score_adj = true and the kubelet\'s oomScoreAdj -450 not applied: this machine withholds CAP_SYS_RESOURCE',
  'sandbox nodes: runsc\'s shim started through a wrapper that lets containerd\'s SetOOMScore ignore the EACCES (the shim keeps oom_score_adj 0, not -999; e2e/harness/containerd.ts)',
  'node labels and taints (Talos\'s NodeLabelSpec/NodeTaintSpec) applied by the harness as admin, as Talos\'s NodeApplyController does; kubelet-serving CSRs approved by the harness after checking their names',
];

const CGROUP = '/sys/fs/cgroup';
const v1Controllers = () => readdirSync(CGROUP).filter((c) => c !== 'unified' && existsSync(join(CGROUP, c, 'tasks')));
/** The hierarchies to create a cgroup in: every v1 controller, or the one unified (v2) tree. */
const hierarchies = () => (v1Controllers().length ? v1Controllers().map((c) => join(CGROUP, c)) : [CGROUP]);

function makeCgroupRoot(name: string): void {
  for (const h of hierarchies()) {
    let d = h;
    for (const part of name.split('/')) {
      d = join(d, part);
      mkdirSync(d, { recursive: true });
      // a new v1 cpuset has no cpus or mems: nothing could join it
      if (h === join(CGROUP, 'cpuset')) for (const f of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(d, f), readFileSync(join(h, f), 'utf8'));
    }
  }
}

/** Kills what is left in the node's cgroups (pod processes: their command lines do not name the node), then removes them. */
async function removeCgroupTree(name: string): Promise<void> {
  const procs = (d: string): number[] => !existsSync(d) ? [] : [
    ...readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number),
    ...readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).flatMap((e) => procs(join(d, e.name))),
  ];
  for (const pid of procs(join(v1Controllers().includes('pids') ? join(CGROUP, 'pids') : CGROUP, name))) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  await new Promise((r) => setTimeout(r, 500));
  const rm = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) rm(join(d, e.name));
    try { rmdirSync(d); } catch { /* still busy: left for the next run's cleanup */ }
  };
  for (const h of hierarchies()) rm(join(h, name));
}

/**
 * Makes the kubelet's root folder a shared mount of its own, as /var/lib/kubelet is on Talos. A plain folder makes
 * the kubelet bind-mount it onto itself at start-up (hostutil.DoMakeRShared), which races the rename of its
 * pod-resources socket in that folder: CI saw the kubelet exit on "rename ...: invalid cross-device link".
 */
async function sharedMount(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const args of [['--bind', dir, dir], ['--make-rshared', dir]]) {
    const r = await run('mount', args, { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`mount ${args.join(' ')} failed: ${r.stderr.trim()}`);
  }
}

/**
 * The node's own /var (kubelet and containerd state), as Talos's EPHEMERAL partition is: a tmpfs, so the kubelet's
 * eviction thresholds (Talos's nodefs/imagefs percentages) measure this node and not the host disk. On the host disk a
 * cold toolchain's caches (~24 GB) took free space below Talos's threshold: every node tainted disk-pressure, every
 * pod evicted (a cold `.ci/run`, 2026-12-01). The size is an upper bound; tmpfs takes memory only as it fills.
 */
const NODE_VAR_SIZE = '4g';
const NODE_VAR_BYTES = 4 * 2 ** 30;
async function nodeVar(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const r = await run('mount', ['-t', 'tmpfs', '-o', `size=${NODE_VAR_SIZE},mode=0755`, `bulwark-e2e-var`, dir], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`mount tmpfs on ${dir} failed: ${r.stderr.trim()}`);
}

/** Unmounts everything mounted under `dir` (kubelet volumes, containerd snapshots), deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((p) => p && p.startsWith(`${dir}/`));
  for (const p of points.sort((a, b) => b.length - a.length)) await run('umount', ['-l', p], { timeoutMs: 10_000 });
}

/** Processes (shims, pods) whose command line names `marker` (the node's own folder): ours, ended by pid. */
function pidsNaming(marker: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try { if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker)) out.push(Number(p)); } catch { /* gone */ }
  }
  return out.filter((p) => p !== process.pid);
}

function kubeconfigFor(server: string, caPem: string, id: Identity, serverName?: string): string {
  return stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64'), ...(serverName ? { 'tls-server-name': serverName } : {}) } }],
    users: [{ name: 'u', user: id.token ? { token: id.token } : { 'client-certificate-data': Buffer.from(id.cert!).toString('base64'), 'client-key-data': Buffer.from(id.key!).toString('base64') } }],
    contexts: [{ name: 'e2e', context: { cluster: 'e2e', user: 'u' } }],
    'current-context': 'e2e',
  });
}

function writeFile(path: string, content: string, mode = 0o600): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode });
  return path;
}

export async function startNodes(o: { dir: string; st: PreparedStack; cp: ControlPlane; tools: NodeTools; plan: NodePlan[] }): Promise<NodeSet> {
  const { dir, st, cp, tools } = o;
  const line = `${st.v.stack.cluster.talosVersion.replace(/^v/, '').split('.').slice(0, 2).join('.')}` as '1.13' | '1.14';
  const cpRendered = st.rendered.nodes.find((n) => n.role === 'controlplane')!;
  const deviations = [...COMMON_DEVIATIONS];
  const nodes: RunningNode[] = [];
  const forwards: Forward[] = [];
  const netnsBefore = new Set(existsSync('/run/netns') ? readdirSync('/run/netns') : []);
  let registry: Registry | undefined;
  let dns: Proc | undefined;

  const stopAll = async () => {
    // pods first (the kubelet kills their containers), then the node processes, then what is left of the pods
    try {
      for (const n of nodes) {
        const r = await cp.kube.request(cp.admin, 'GET', `/api/v1/pods?fieldSelector=spec.nodeName=${n.name}`);
        for (const p of (r.json?.items ?? []) as Doc[])
          await cp.kube.request(cp.admin, 'DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}?gracePeriodSeconds=0`);
      }
      await waitFor('pods gone from the nodes', async () => {
        const r = await cp.kube.request(cp.admin, 'GET', '/api/v1/pods');
        return !(r.json?.items ?? []).some((p: Doc) => nodes.some((n) => n.name === p.spec.nodeName));
      }, 30_000).catch(() => undefined);
    } catch { /* control plane gone: kill below */ }
    await stop(dns);
    for (const n of [...nodes].reverse()) for (const p of [...n.procs].reverse()) await stop(p, 10_000);
    for (const n of nodes) {
      for (const pid of pidsNaming(n.dir)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    }
    for (const f of forwards) await f.close();
    await registry?.stop();
    for (const ns of existsSync('/run/netns') ? readdirSync('/run/netns') : []) if (!netnsBefore.has(ns) && ns.startsWith('cni-')) await run('ip', ['netns', 'delete', ns]);
    for (const n of nodes) { await removeCgroupTree(`bulwark-e2e-${n.name}`); await unmountUnder(n.dir); }
    await removeCgroupTree('podruntime');
    await removeSite(nodes.map((n) => n.net));
  };

  try {
    // pods in a user namespace (hostUsers: false) map root to an unprivileged host uid, which must traverse to its
    // rootfs under the node folder: the folders above it (mkdtemp makes them 0700) get o+x, as /run/containerd has on Talos
    mkdirSync(dir, { recursive: true });
    for (let d = dir; d !== dirname(d); d = dirname(d)) {
      const mode = statSync(d).mode;
      if (!(mode & 0o001)) chmodSync(d, (mode & 0o7777) | 0o011);
    }
    await createSite();
    // Talos creates /podruntime (machined's cgroups) at boot; Talos's runc options put shims in /podruntime/shim
    makeCgroupRoot('podruntime/shim');
    registry = await startRegistry({ dir: join(dir, 'registry'), listen: SITE.hostIp });
    const apiPort = Number(new URL(cp.server).port);
    const apiFwd = await forward(SITE.hostIp, apiPort);
    forwards.push(apiFwd);
    const server = `https://${SITE.hostIp}:${apiFwd.port}`;
    const token = bootstrapToken(cpRendered.config);

    for (const [i, plan] of o.plan.entries()) {
      const rendered = st.rendered.nodes.find((n) => n.name === plan.name);
      if (!rendered) throw new Error(`${st.name}: no rendered node ${plan.name}`);
      const net = await addNodeNet(i);
      const ndir = join(dir, plan.name);
      const local = (p: string) => join(ndir, 'root', p);
      await nodeVar(local('/var'));
      const cpNode = st.v.stack.nodes.find((n) => n.name === cpRendered.name)!;
      const talos = talosKubelet({ line, nodeConfig: rendered.config, cpConfig: cpRendered.config, cpName: cpNode.name, cpIp: cpNode.address.split('/')[0], name: plan.name, role: rendered.role, ip: net.ip });
      if (i === 0) await applyAll(cp, nodeManifests(talos.manifests, token));

      const cniConfDir = local('/etc/cni/net.d');
      mkdirSync(cniConfDir, { recursive: true });
      const containerd = await startContainerd({
        dir: ndir, line, netns: net.netns, sandbox: plan.sandbox, tools, cniConfDir, sandboxImage: registry.images.pause,
        writeHosts: (hostsDir) => registry!.writeContainerdHosts(hostsDir),
      });
      const node: RunningNode = { name: plan.name, role: rendered.role, ip: net.ip, net, dir: ndir, talos, kubeletConfig: {}, kubeletArgs: {}, kubeletConfigPath: '', containerd, procs: [containerd.proc] };
      nodes.push(node);

      // ---- kubelet: Talos's configuration, the deviations above ---------------------------------------------
      const caPath = writeFile(local('/etc/kubernetes/pki/ca.crt'), cp.caPem, 0o644);
      const cgroupRoot = `bulwark-e2e-${plan.name}`;
      makeCgroupRoot(cgroupRoot);
      const resolvConf = writeFile(local('/system/resolved/resolv.conf'), `nameserver ${SITE.hostIp}\n`, 0o644);
      const kc = localKubeletConfig(talos.config, { local, caPath, socket: containerd.socket, resolvConf, cgroupRoot: `/${cgroupRoot}` });
      const args = localKubeletArgs(talos.args, local);
      node.kubeletConfigPath = writeFile(args.config, stringify(kc));
      writeFile(args['bootstrap-kubeconfig'], kubeconfigFor(server, cp.caPem, { name: 'bootstrap', token: `${token.id}.${token.secret}` }));
      node.kubeletConfig = kc;
      node.kubeletArgs = args;
      await sharedMount(args['root-dir']);
      const kubelet = start(`kubelet ${plan.name}`, 'nsenter', [`--net=${netnsPath(net.netns)}`, '--', tools.kubelet, ...Object.entries(args).map(([k, v]) => `--${k}=${v}`)],
        join(ndir, 'kubelet.log'), { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: ndir });
      node.procs.push(kubelet);
    }

    // ---- registration, labels, serving certificates, pod subnets ----------------------------------------------
    const addrs = new Map(nodes.map((n) => [n.name, n.ip]));
    for (const n of nodes) {
      await waitFor(`node ${n.name} registered`, async () => (await cp.kube.request(cp.admin, 'GET', `/api/v1/nodes/${n.name}`)).status === 200, 90_000, n.procs[1]);
      await labelNode(cp, n.name, n.talos.labels);
      await taintNode(cp, n.name, n.talos.taints);
    }
    for (const n of nodes.filter((x) => x.kubeletConfig.serverTLSBootstrap)) {
      await waitFor(`${n.name} serving certificate`, async () => {
        await approveServingCsrs(cp, addrs);
        return existsSync(join(n.kubeletArgs['cert-dir'], 'kubelet-server-current.pem'));
      }, 60_000, n.procs[1]);
    }
    for (const n of nodes) {
      await waitFor(`${n.name} podCIDR`, async () => {
        n.podCidr = (await cp.kube.request(cp.admin, 'GET', `/api/v1/nodes/${n.name}`)).json?.spec?.podCIDR;
        return !!n.podCidr;
      }, 60_000);
      writeFile(join(n.dir, 'root/etc/cni/net.d/10-bridge.conflist'), JSON.stringify({
        cniVersion: '1.0.0', name: 'bulwark-e2e',
        plugins: [{ type: 'bridge', bridge: 'cni0', isGateway: true, ipMasq: false, hairpinMode: true, ipam: { type: 'host-local', ranges: [[{ subnet: n.podCidr }]], routes: [{ dst: '0.0.0.0/0' }] } }],
      }), 0o644);
    }
    for (const a of nodes) for (const b of nodes) if (a !== b) await routePodSubnet(a.net, b.podCidr!, b.net);

    // ---- kube-proxy on every node, CoreDNS on the first -------------------------------------------------------
    for (const n of nodes) n.procs.push(await startKubeProxy({ cp, node: n, server, tools, manifests: n.talos.manifests }));
    dns = await startDns({ cp, node: nodes[0], server, tools, manifests: nodes[0].talos.manifests });
    for (const n of nodes)
      await waitFor(`node ${n.name} Ready`, async () => {
        const r = await cp.kube.request(cp.admin, 'GET', `/api/v1/nodes/${n.name}`);
        return (r.json?.status?.conditions ?? []).some((c: Doc) => c.type === 'Ready' && c.status === 'True');
      }, 90_000, n.procs[1]);
    // the kubelet's own view: its eviction signals measure the node's /var (nodeVar), not the host disk
    for (const n of nodes)
      await waitFor(`${n.name}: the kubelet's nodefs (and imagefs, when it reports one) is the node's own ${NODE_VAR_SIZE} /var`, async () => {
        const s = (await cp.kube.request(cp.admin, 'GET', `/api/v1/nodes/${n.name}/proxy/stats/summary`)).json?.node;
        const nodefs = s?.fs?.capacityBytes;
        const imagefs = s?.runtime?.imageFs?.capacityBytes;
        return typeof nodefs === 'number' && nodefs <= NODE_VAR_BYTES && (imagefs === undefined || imagefs <= NODE_VAR_BYTES);
      }, 60_000, n.procs[1]);
  } catch (e) {
    const logs = nodes.map((n) => `--- ${n.name} kubelet:\n${n.procs[1]?.tail(15) ?? ''}\n--- containerd:\n${n.containerd.proc.tail(8)}`).join('\n');
    await stopAll();
    throw new Error(`${(e as Error).message}\n${logs}`);
  }

  const kubectl = async (id: Identity, args: string[], timeoutMs = 60_000) => {
    const file = writeFile(join(dir, 'kubeconfigs', `${id.name.replace(/[^a-zA-Z0-9_.-]/g, '_')}.yaml`), kubeconfigFor(cp.server, cp.caPem, id));
    return run(tools.kubectl, ['--kubeconfig', file, ...args], { timeoutMs });
  };
  return { nodes, registry: registry!, deviations, kubectl, stop: stopAll };
}

/** The kubelet configuration as it runs (from its file): what kube-bench and the tests read. */
export function kubeletFile(n: RunningNode): Doc {
  return parse(readFileSync(n.kubeletConfigPath, 'utf8')) as Doc;
}
