/** The node toolchain from the e2e manifest (`npm run e2e:tools`, e2e/tools/node.sh), or why it is absent. */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

interface Entry { path: string; version: string; binDir?: string; ref?: string; digest?: string; layout?: string; [k: string]: unknown }

export interface NodeTools {
  kubelet: string;
  kubeProxy: string;
  kubectl: string;
  containerd: string;
  containerdDir: string;
  ctr: string;
  runcDir: string;
  runscDir: string;
  cniBinDir: string;
  coredns: string;
  registry: string;
  crane: string;
  images: { pause: Entry; testapp: Entry };
  versions: Record<string, string>;
}

const NAMES = ['kubelet', 'kube-proxy', 'kubectl', 'containerd', 'containerd-shim-runc-v2', 'ctr', 'runc', 'runsc', 'containerd-shim-runsc-v1',
  'cni-plugins', 'coredns', 'registry', 'crane', 'image-pause', 'image-testapp'] as const;

export function manifestFile(): string {
  const cache = process.env.BULWARK_E2E_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'bulwark-e2e');
  return join(cache, 'manifest.json');
}

/** The node tools, or a message naming every missing one. */
export function findNodeTools(): NodeTools | { absent: string } {
  const file = manifestFile();
  if (!existsSync(file)) return { absent: `no ${file}: run \`npm run e2e:tools\`` };
  const m = JSON.parse(readFileSync(file, 'utf8')) as { tools: Record<string, Entry> };
  const missing = NAMES.filter((n) => !m.tools[n] || !existsSync(m.tools[n].path));
  if (missing.length) return { absent: `node tools missing from ${file}: ${missing.join(', ')} (run \`npm run e2e:tools\`, e2e/tools/node.sh)` };
  const t = (n: (typeof NAMES)[number]) => m.tools[n];
  return {
    kubelet: t('kubelet').path,
    kubeProxy: t('kube-proxy').path,
    kubectl: t('kubectl').path,
    containerd: t('containerd').path,
    containerdDir: dirname(t('containerd-shim-runc-v2').path),
    ctr: t('ctr').path,
    runcDir: dirname(t('runc').path),
    runscDir: dirname(t('containerd-shim-runsc-v1').path),
    cniBinDir: t('cni-plugins').binDir ?? dirname(t('cni-plugins').path),
    coredns: t('coredns').path,
    registry: t('registry').path,
    crane: t('crane').path,
    images: { pause: t('image-pause'), testapp: t('image-testapp') },
    versions: Object.fromEntries(NAMES.map((n) => [n, t(n).version])),
  };
}

/** The judge these claims carry in results.json ("real node"), with the versions that ran. */
export function nodeJudge(t: NodeTools): string {
  const v = t.versions;
  return `real node (kubelet ${v.kubelet}, containerd ${v.containerd}, runc ${v.runc}, gVisor runsc)`;
}
