/**
 * Reading the live cluster for drift, read-only: Kubernetes objects over HTTPS with a client
 * certificate (the deployer's, which may get and list every kind Bulwark renders), and each
 * node's machine configuration with `talosctl get machineconfig -o yaml`, run as a fixed script
 * with the node in the environment and the talosconfig on stdin (core/talos/commands.ts's rules).
 * The machine configuration holds the cluster's keys: it is parsed in memory, never written or logged.
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:https';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from '../render/k8s';
import { objectKey } from '../render/k8s';
import type { LiveCluster, LiveObject } from './drift';

export interface KubeAccess { server: string; caPem: string; cert: string; key: string }

type Obj = Record<string, unknown>;

export class KubeReader {
  private readonly agent: Agent;
  private readonly plurals = new Map<string, { name: string; namespaced: boolean }>();
  constructor(private readonly access: KubeAccess) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 4, ca: access.caPem, cert: access.cert, key: access.key });
  }

  close(): void {
    this.agent.destroy();
  }

  get(path: string): Promise<{ status: number; json: Obj | undefined; text: string }> {
    return this.send('GET', path);
  }

  /** GET, or a dry-run POST (nothing this reader sends changes the cluster). */
  private send(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: Obj | undefined; text: string }> {
    if (method === 'POST' && !/[?&]dryRun=All(&|$)/.test(path)) throw new Error('drift reads only: a POST must be a dry run');
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) };
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.access.server), { method, agent: this.agent, headers, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Obj | undefined;
          try { json = JSON.parse(text); } catch { json = undefined; }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  private async resource(apiVersion: string, kind: string): Promise<{ base: string; name: string; namespaced: boolean }> {
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    if (!this.plurals.has(`${apiVersion}/${kind}`)) {
      const r = await this.get(base);
      if (r.status !== 200) throw new Error(`discovery ${base}: HTTP ${r.status}`);
      for (const res of (r.json?.resources ?? []) as { name: string; kind: string; namespaced: boolean }[])
        if (!res.name.includes('/')) this.plurals.set(`${apiVersion}/${res.kind}`, res);
    }
    const hit = this.plurals.get(`${apiVersion}/${kind}`);
    if (!hit) throw new Error(`the API server serves no ${kind} in ${apiVersion}`);
    return { base, ...hit };
  }

  async object(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): Promise<Obj | null> {
    const { base, name, namespaced } = await this.resource(o.apiVersion, o.kind);
    const path = `${base}/${namespaced ? `namespaces/${encodeURIComponent(o.metadata.namespace ?? 'default')}/` : ''}${name}/${encodeURIComponent(o.metadata.name)}`;
    const r = await this.get(path);
    if (r.status === 404) return null;
    if (r.status !== 200 || !r.json) throw new Error(`GET ${path}: HTTP ${r.status}`);
    return r.json;
  }

  /**
   * The object as this API server would store it: created with dryRun=All (nothing is stored)
   * under a generated name, so that it does not collide with the live one.
   */
  async defaulted(o: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }): Promise<Obj> {
    const { base, name, namespaced } = await this.resource(o.apiVersion, o.kind);
    const path = `${base}/${namespaced ? `namespaces/${encodeURIComponent(o.metadata.namespace ?? 'default')}/` : ''}${name}?dryRun=All&fieldManager=bulwark-drift`;
    const { name: _n, ...metadata } = o.metadata;
    const r = await this.send('POST', path, { ...o, metadata: { ...metadata, generateName: 'bulwark-drift-' } });
    if (r.status !== 201 || !r.json) throw new Error(`dry-run create ${o.kind}: HTTP ${r.status} ${String(r.json?.message ?? '').slice(0, 200)}`);
    return r.json;
  }

  /** Every object of a kind, across namespaces, each with its kind set (lists omit it). */
  async list(apiVersion: string, kind: string): Promise<Obj[]> {
    const { base, name } = await this.resource(apiVersion, kind);
    const r = await this.get(`${base}/${name}`);
    if (r.status !== 200 || !r.json) throw new Error(`GET ${base}/${name}: HTTP ${r.status}`);
    return ((r.json.items ?? []) as Obj[]).map((i) => ({ ...i, kind, apiVersion }));
  }
}

const RBAC = 'rbac.authorization.k8s.io/v1';

/** The live state drift compares: each expected object by name, and the lists extra grants are found in. */
export async function readLiveCluster(reader: KubeReader, expected: readonly K8sObject[]): Promise<{ live: LiveCluster; unread: string[] }> {
  const unread: string[] = [];
  const objects = new Map<string, LiveObject | null>();
  for (const o of expected) {
    let live: Obj | null;
    try {
      live = await reader.object(o);
    } catch (e) {
      unread.push(`${objectKey(o)}: ${(e as Error).message}`);
      continue;
    }
    if (!live) {
      objects.set(objectKey(o), null);
      continue;
    }
    let defaulted: Obj | undefined;
    try {
      defaulted = await reader.defaulted(o);
    } catch (e) {
      // only the rendered fields are compared then: said, not hidden
      unread.push(`${objectKey(o)} as the API server defaults it (fields added to the live object are not compared): ${(e as Error).message}`);
    }
    objects.set(objectKey(o), { live, defaulted });
  }
  const list = async (apiVersion: string, kind: string) => {
    try {
      return await reader.list(apiVersion, kind);
    } catch (e) {
      unread.push(`${kind} (all): ${(e as Error).message}`);
      return [];
    }
  };
  const [crb, rb, cr, r, np] = [
    await list(RBAC, 'ClusterRoleBinding'), await list(RBAC, 'RoleBinding'), await list(RBAC, 'ClusterRole'), await list(RBAC, 'Role'),
    await list('networking.k8s.io/v1', 'NetworkPolicy'),
  ];
  return { live: { objects, bindings: [...crb, ...rb], roles: [...cr, ...r], networkPolicies: np }, unread };
}

/**
 * Fixed script: the talosconfig (base64, first stdin line) into a 0600 file of a private
 * directory, then one read-only talosctl call for the node named by $BULWARK_NODE.
 */
export const GET_MACHINECONFIG_SCRIPT = [
  'set -eu',
  'umask 077',
  'work=$(mktemp -d)',
  `trap 'rm -rf "$work"' EXIT`,
  'cd "$work"',
  'IFS= read -r talosconfig_b64 || true',
  `[ -n "$talosconfig_b64" ] || { echo 'bulwark: expected the talosconfig (base64) on the first line of stdin' >&2; exit 2; }`,
  `printf '%s' "$talosconfig_b64" | base64 -d > talosconfig`,
  'unset talosconfig_b64',
  'talosctl --talosconfig ./talosconfig --nodes "$BULWARK_NODE" get machineconfig -o yaml',
  '',
].join('\n');

/** The machine configuration out of `talosctl get machineconfig -o yaml` (its spec is the configuration as a YAML string). */
export function machineConfigFromTalosctl(output: string): string {
  const docs = parseAllDocuments(output).map((d) => d.toJS() as Obj | null).filter((d): d is Obj => !!d);
  const active = docs.find((d) => (d.metadata as Obj | undefined)?.id === 'v1alpha1') ?? docs[0];
  if (!active || typeof active.spec !== 'string') throw new Error('talosctl get machineconfig printed no MachineConfig resource with a YAML spec');
  return active.spec;
}

/** Runs the fixed script; `talosctl` is looked up on PATH (env.PATH). Never echoes its stdout (secret). */
export function readMachineConfig(node: string, talosconfig: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', GET_MACHINECONFIG_SCRIPT], { env: { PATH: env.PATH ?? '/usr/bin:/bin', HOME: env.HOME ?? '/tmp', BULWARK_NODE: node }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`talosctl get machineconfig for ${node} exited ${code}: ${Buffer.concat(err).toString('utf8').slice(0, 300)}`));
      try {
        resolve(machineConfigFromTalosctl(Buffer.concat(out).toString('utf8')));
      } catch (e) {
        reject(e);
      }
    });
    child.stdin.end(`${Buffer.from(talosconfig).toString('base64')}\n`);
  });
}
