/** The e2e toolchain manifest written by e2e/tools/install.sh (`npm run e2e:tools`). */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface Tools {
  apiserver: string;
  controllerManager: string;
  scheduler: string;
  etcd: string;
  etcdctl: string;
  kubeBench: string;
  kubeBenchCfg: string;
  kubernetesVersion: string;
}

export function loadTools(): Tools {
  const cache = process.env.BULWARK_E2E_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'bulwark-e2e');
  const file = join(cache, 'manifest.json');
  if (!existsSync(file)) throw new Error(`no ${file}: run \`npm run e2e:tools\` first (see e2e/tools/README.md)`);
  const m = JSON.parse(readFileSync(file, 'utf8')) as { tools: Record<string, { path: string; version: string; cfgDir?: string }>; missing?: string[] };
  const t = (k: string) => {
    const e = m.tools[k];
    if (!e || !existsSync(e.path)) throw new Error(`e2e tool ${k} is missing from ${file}: run \`npm run e2e:tools\``);
    return e;
  };
  return {
    apiserver: t('kube-apiserver').path,
    controllerManager: t('kube-controller-manager').path,
    scheduler: t('kube-scheduler').path,
    etcd: t('etcd').path,
    etcdctl: t('etcdctl').path,
    kubeBench: t('kube-bench').path,
    kubeBenchCfg: t('kube-bench').cfgDir!,
    kubernetesVersion: t('kube-apiserver').version,
  };
}

/** An outside judge (talosctl-1.13, talosctl-1.14, cyclonus) from the manifest, or why it is absent. */
export type Judge = { path: string; version: string; substitutions?: string[] } | { absent: string };

export function findJudge(name: string): Judge {
  const cache = process.env.BULWARK_E2E_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'bulwark-e2e');
  const file = join(cache, 'manifest.json');
  const hint = 'run `npm run e2e:tools` (builds it into the e2e cache; see e2e/tools/README.md)';
  if (!existsSync(file)) return { absent: `${name}: no ${file}; ${hint}` };
  const e = (JSON.parse(readFileSync(file, 'utf8')) as { tools: Record<string, { path: string; version: string; substitutions?: string[] }> }).tools[name];
  if (!e || !existsSync(e.path)) return { absent: `${name} is not in ${file}; ${hint}` };
  return e;
}
