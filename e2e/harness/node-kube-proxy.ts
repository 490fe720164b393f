/**
 * kube-proxy's command line as Talos's own kube-proxy DaemonSet has it (talos-compute's manifests), for a process on
 * an e2e node. Talos 1.14 runs it with `--config` (a KubeProxyConfiguration in a ConfigMap mounted at
 * /var/lib/kube-proxy); Talos 1.13 with flags (`--kubeconfig`, `--proxy-mode`, `--metrics-bind-address`, ...). Changes,
 * and only these: a path inside one of the DaemonSet's ConfigMap volumes names that ConfigMap's file written under the
 * node folder; the in-cluster kubeconfig (ConfigMap kubeconfig-in-cluster) is a service-account token kubeconfig,
 * also where a KubeProxyConfiguration names it; `$(VAR)` of a fieldRef env is the node's value (the pod runs with
 * hostNetwork: its IP is the node's).
 */
import { parse, stringify } from 'yaml';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

export interface KubeProxyInvocation {
  /** the flags, in the DaemonSet's order, after the binary */
  args: string[];
  /** files to write (absolute path → content): the ConfigMap files the flags name */
  files: Record<string, string>;
  /** Talos's own command line, unchanged, for the report */
  talos: string[];
}

const IN_CLUSTER_KUBECONFIG = 'kubeconfig-in-cluster';

export function kubeProxyInvocation(manifests: Doc[], o: { nodeName: string; nodeIp: string; kubeconfig: string; configDir: string }): KubeProxyInvocation {
  const ds = manifests.find((m) => m.kind === 'DaemonSet' && m.metadata?.name === 'kube-proxy');
  if (!ds) throw new Error('Talos computed no kube-proxy DaemonSet (cluster.proxy.disabled?): nothing routes Services on this node');
  const pod = ds.spec.template.spec as Doc;
  const c = (pod.containers as Doc[]).find((x) => x.name === 'kube-proxy');
  if (!c) throw new Error('Talos\'s kube-proxy DaemonSet has no kube-proxy container');
  const talos = [...(c.command ?? []), ...(c.args ?? [])] as string[];
  const values: Record<string, string> = {};
  for (const e of (c.env ?? []) as Doc[]) {
    const f = e.valueFrom?.fieldRef?.fieldPath;
    if (f === 'spec.nodeName') values[e.name] = o.nodeName;
    else if (f === 'status.podIP' || f === 'status.hostIP') values[e.name] = o.nodeIp;
    else if (e.value !== undefined) values[e.name] = String(e.value);
  }
  const expand = (s: string) => s.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, n: string) => values[n] ?? all);

  // mount path → the ConfigMap mounted there
  const configMaps: { mountPath: string; name: string }[] = [];
  for (const m of (c.volumeMounts ?? []) as Doc[]) {
    const v = ((pod.volumes ?? []) as Doc[]).find((x) => x.name === m.name);
    if (v?.configMap) configMaps.push({ mountPath: String(m.mountPath).replace(/\/$/, ''), name: v.configMap.name });
  }
  const files: Record<string, string> = {};
  const local = (path: string): string | undefined => {
    const mount = configMaps.find((x) => path.startsWith(`${x.mountPath}/`));
    if (!mount) return undefined;
    if (mount.name === IN_CLUSTER_KUBECONFIG) return o.kubeconfig;
    const cm = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata?.name === mount.name);
    const key = path.slice(mount.mountPath.length + 1);
    if (cm?.data?.[key] === undefined) throw new Error(`Talos's kube-proxy reads ${path}: ConfigMap ${mount.name} has no key ${key}`);
    const file = `${o.configDir}/${key}`;
    files[file] = String(cm.data[key]);
    return file;
  };
  const args = talos.slice(1).map((a) => {
    const m = expand(a).match(/^(--[^=]+)=(.*)$/s);
    if (!m) return expand(a);
    return `${m[1]}=${local(m[2]) ?? m[2]}`;
  });
  // a KubeProxyConfiguration naming the in-cluster kubeconfig (Talos 1.14's clientConnection.kubeconfig)
  for (const [file, content] of Object.entries(files)) {
    const doc = parse(content) as Doc;
    if (doc?.kind !== 'KubeProxyConfiguration') continue;
    const kc = doc.clientConnection?.kubeconfig;
    if (kc && configMaps.some((x) => x.name === IN_CLUSTER_KUBECONFIG && String(kc).startsWith(`${x.mountPath}/`))) {
      doc.clientConnection.kubeconfig = o.kubeconfig;
      files[file] = stringify(doc);
    }
  }
  return { args, files, talos };
}
