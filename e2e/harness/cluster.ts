/**
 * A real control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler) on loopback,
 * started with the command lines and files Talos's own controllers (and, for etcd, machined's etcd service)
 * compute from the rendered machine config (talos-files.ts).
 *
 * What changes off-Talos, and only that:
 * - every Talos path (/system/..., /var/lib/etcd, /var/log/audit/..., /etc/bulwark/...) is the same
 *   path under a temp dir (`<dir>/root/<talos path>`);
 * - addresses and ports: bind-address 127.0.0.1 and free ports (apiserver --secure-port, controller
 *   manager/scheduler --secure-port, which Talos leaves at their defaults), etcd-servers to our etcd;
 *   --advertise-address 127.0.0.1 is added (Talos derives it from the node address);
 * - etcd's listen/advertise/initial-cluster URLs, which Talos builds from the node's addresses: every
 *   https://<address>:<port> in them becomes https://127.0.0.1:<a free port, one per Talos port>; etcd runs
 *   with Talos's own PKI files (its server certificate names 127.0.0.1 and localhost);
 * - the kubeconfigs Talos writes for the controller manager and scheduler point at our API server, not at
 *   Talos's KubePrism endpoint (127.0.0.1:7445).
 * Every certificate, key, kubeconfig and the encryption config are the files Talos's controllers wrote under
 * /system/secrets (talos-compute); only the harness's own admin client certificate is issued here, and, when
 * nodes in other network namespaces must reach the API server (`serverIps`), a serving certificate that names
 * their addresses too. No flag is dropped; etcd gets no flag added.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { ComponentFlags } from '../../core/cis/model';
import type { SecretsBundle } from '../../core/secrets/bundle';
import { fromB64 } from '../../core/secrets/bundle';
import { Identity, Kube, probe } from './kube';
import { Pem, issue } from './pki';
import { Proc, freePort, run, start, stop, waitFor } from './proc';
import { flagsOf } from '../../test/talos/talosctl';
import type { TalosApiServerFiles } from './talos-files';
import type { Tools } from './tools';

export interface ControlPlane {
  dir: string;
  server: string;
  caPem: string;
  admin: Identity;
  kube: Kube;
  auditLog: string;
  /** The effective command lines (flag → value) each process was started with. */
  args: { apiserver: Record<string, string>; controllermanager: Record<string, string>; scheduler: Record<string, string>; etcd: Record<string, string> };
  etcdctl(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  logs: Record<string, string>;
  stop(): Promise<void>;
}

const toArgs = (flags: Record<string, string>) => Object.keys(flags).sort().map((k) => `--${k}=${flags[k]}`);

/** A kubeconfig Talos wrote, pointed at the harness's API server instead of Talos's KubePrism endpoint. */
function pointedAt(server: string, talosKubeconfig: string): string {
  const kc = parse(talosKubeconfig) as { clusters?: Array<{ cluster: { server: string } }> };
  if (!kc.clusters?.length) throw new Error('a kubeconfig Talos wrote names no cluster');
  for (const c of kc.clusters) c.cluster.server = server;
  return stringify(kc);
}

/**
 * Talos's etcd command line on loopback: paths under the temp root, and each https://<address>:<port> (the node's
 * address or 0.0.0.0) on 127.0.0.1 with a free port per Talos port. The client port is the one Talos advertises.
 */
async function loopbackEtcd(talosArgs: string[], local: (p: string) => string): Promise<{ args: string[]; flags: Record<string, string>; clientPort: number; dataDir: string }> {
  const urlRe = /https:\/\/(\[[^\]]+\]|[^:/,]+):(\d+)/g;
  const ports = new Map<string, number>();
  for (const a of talosArgs) for (const m of a.matchAll(urlRe)) if (!ports.has(m[2])) ports.set(m[2], await freePort());
  const args = talosArgs.map((a) => {
    const m = a.match(/^--([^=]+)=(.*)$/s);
    if (!m) throw new Error(`etcd argument from Talos is not --flag=value: ${a}`);
    const value = m[2].startsWith('/') ? local(m[2]) : m[2].replace(urlRe, (_u, _h, port: string) => `https://127.0.0.1:${ports.get(port)}`);
    return `--${m[1]}=${value}`;
  });
  const talosFlags = flagsOf(['etcd', ...talosArgs]);
  const one = (f: string) => {
    const v = talosFlags[f];
    if (v?.length !== 1) throw new Error(`Talos's etcd command line has ${v?.length ?? 0} --${f}, expected one`);
    return v[0];
  };
  const client = one('advertise-client-urls').match(/:(\d+)$/);
  if (!client) throw new Error(`--advertise-client-urls=${one('advertise-client-urls')}: no port`);
  const flags = Object.fromEntries(Object.entries(flagsOf(['etcd', ...args])).map(([k, vs]) => [k, vs.join(',')]));
  return { args, flags, clientPort: ports.get(client[1])!, dataDir: one('data-dir') };
}

/** `serverIps`: more addresses in the API server's certificate (where nodes in their own network namespaces reach it). */
export async function startControlPlane(opts: { dir: string; flags: ComponentFlags; files: TalosApiServerFiles; secrets: SecretsBundle; tools: Tools; serverIps?: string[] }): Promise<ControlPlane> {
  const { dir, flags, files, secrets, tools } = opts;
  const root = join(dir, 'root');
  const local = (p: string) => join(root, p);
  const put = (talosPath: string, content: string, mode = 0o600) => {
    mkdirSync(dirname(local(talosPath)), { recursive: true });
    writeFileSync(local(talosPath), content, { mode });
  };
  const localise = (f: Record<string, string>) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.startsWith('/') ? local(v) : v]));

  const k8sCa: Pem = { crt: fromB64(secrets.certs.k8s.crt), key: fromB64(secrets.certs.k8s.key) };
  const [ap, cmp, sp] = await Promise.all([freePort(), freePort(), freePort()]);
  const server = `https://127.0.0.1:${ap}`;
  // the harness's own client (Talos's admin kubeconfig is made by talosctl, not on the node)
  const admin = await issue(k8sCa, { subject: 'O=system:masters, CN=bulwark-e2e-admin', client: true });

  // ---- files: every file Talos wrote under /system/secrets, then the config files, at their Talos paths (under root/)
  for (const [talosPath, content] of Object.entries(files.secretFiles)) {
    put(talosPath, talosPath.endsWith('/kubeconfig') ? pointedAt(server, content) : content);
  }
  const flag = (component: string, f: Record<string, string>) => (name: string) => {
    if (!f[name]) throw new Error(`Talos's ${component} command line has no --${name}`);
    return f[name];
  };
  const api = flag('kube-apiserver', flags.apiserver);
  const cmFlag = flag('kube-controller-manager', flags.controllermanager);
  const schedFlag = flag('kube-scheduler', flags.scheduler);
  const talosWrote = (component: string, f: (n: string) => string, names: string[]) => {
    for (const n of names) if (files.secretFiles[f(n)] === undefined) throw new Error(`Talos wrote no ${f(n)} (${component} --${n})`);
  };
  talosWrote('kube-apiserver', api, [
    'client-ca-file', 'etcd-cafile', 'etcd-certfile', 'etcd-keyfile', 'tls-cert-file', 'tls-private-key-file', 'kubelet-client-certificate',
    'kubelet-client-key', 'proxy-client-cert-file', 'proxy-client-key-file', 'requestheader-client-ca-file', 'service-account-key-file',
    'service-account-signing-key-file', 'encryption-provider-config',
  ]);
  talosWrote('kube-controller-manager', cmFlag, ['kubeconfig', 'root-ca-file', 'cluster-signing-cert-file', 'cluster-signing-key-file', 'service-account-private-key-file']);
  talosWrote('kube-scheduler', schedFlag, ['authentication-kubeconfig']);
  if (opts.serverIps?.length) {
    // nodes in their own network namespaces reach the API server at addresses Talos's serving certificate (the node's
    // address, 127.0.0.1) does not name: one from the same CA that names them too
    const cert = await issue(k8sCa, {
      subject: 'CN=kube-apiserver', server: true,
      dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'], ips: ['127.0.0.1', '10.96.0.1', ...opts.serverIps],
    });
    put(api('tls-cert-file'), cert.crt);
    put(api('tls-private-key-file'), cert.key);
  }
  put(api('admission-control-config-file'), stringify(files.admission));
  put(api('audit-policy-file'), stringify(files.auditPolicy));
  // Talos 1.13 drops --authorization-config when extra args name an authorization mode
  if (flags.apiserver['authorization-config']) put(flags.apiserver['authorization-config'], stringify(files.authorization));
  const authnPath = flags.apiserver['authentication-config'];
  if (authnPath) put(authnPath, stringify(files.authentication));
  const auditLog = api('audit-log-path');
  mkdirSync(dirname(local(auditLog)), { recursive: true });
  put(schedFlag('config'), stringify({
    apiVersion: 'kubescheduler.config.k8s.io/v1', kind: 'KubeSchedulerConfiguration', ...files.schedulerConfig,
    clientConnection: { kubeconfig: local(schedFlag('authentication-kubeconfig')) },
  }));

  put('/admin/admin.crt', admin.crt);
  put('/admin/admin.key', admin.key);

  // ---- command lines ----------------------------------------------------------------------------
  const etcd = await loopbackEtcd(files.etcdArgs, local);
  const ep = etcd.clientPort;
  mkdirSync(local(etcd.dataDir), { recursive: true, mode: 0o700 });
  const apiArgs = {
    ...localise(flags.apiserver),
    'bind-address': '127.0.0.1',
    'advertise-address': '127.0.0.1',
    'secure-port': String(ap),
    'etcd-servers': `https://127.0.0.1:${ep}`,
  };
  const cmArgs = { ...localise(flags.controllermanager), 'bind-address': '127.0.0.1', 'secure-port': String(cmp) };
  const schedArgs = { ...localise(flags.scheduler), 'bind-address': '127.0.0.1', 'secure-port': String(sp) };

  const logs = { etcd: join(dir, 'etcd.log'), apiserver: join(dir, 'kube-apiserver.log'), controllermanager: join(dir, 'kube-controller-manager.log'), scheduler: join(dir, 'kube-scheduler.log') };
  const procs: Proc[] = [];
  const kube = new Kube(server, k8sCa.crt);
  const adminId: Identity = { name: 'admin (O=system:masters client certificate)', cert: admin.crt, key: admin.key };
  const etcdctl = (args: string[]) => run(tools.etcdctl, [
    '--endpoints', `https://127.0.0.1:${ep}`, '--cacert', local(api('etcd-cafile')),
    '--cert', local(api('etcd-certfile')), '--key', local(api('etcd-keyfile')), ...args,
  ], { timeoutMs: 30_000 });

  const stopAll = async () => {
    kube.close();
    // Reverse start order: the apiserver must stop before etcd.
    for (const p of [...procs].reverse()) await stop(p);
  };
  try {
    const etcdProc = start('etcd', tools.etcd, etcd.args, logs.etcd);
    procs.push(etcdProc);
    await waitFor('etcd health', async () => (await etcdctl(['endpoint', 'health'])).code === 0, 60_000, etcdProc);
    const api = start('kube-apiserver', tools.apiserver, toArgs(apiArgs), logs.apiserver);
    procs.push(api);
    await waitFor('kube-apiserver /readyz', async () => (await kube.request(adminId, 'GET', '/readyz')).status === 200, 120_000, api);
    const cmProc = start('kube-controller-manager', tools.controllerManager, toArgs(cmArgs), logs.controllermanager);
    procs.push(cmProc);
    const schedProc = start('kube-scheduler', tools.scheduler, toArgs(schedArgs), logs.scheduler);
    procs.push(schedProc);
    const healthz = (port: number) => async () => (await probe(`https://127.0.0.1:${port}/healthz`)) === 200;
    await waitFor('kube-controller-manager /healthz', healthz(cmp), 60_000, cmProc);
    await waitFor('kube-scheduler /healthz', healthz(sp), 60_000, schedProc);
  } catch (e) {
    await stopAll();
    throw e;
  }
  return {
    dir, server, caPem: k8sCa.crt, admin: adminId, kube, auditLog: local(auditLog),
    args: { apiserver: apiArgs, controllermanager: cmArgs, scheduler: schedArgs, etcd: etcd.flags },
    etcdctl, logs, stop: stopAll,
  };
}
