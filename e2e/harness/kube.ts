/** A small Kubernetes API client over node:https: client certificates or bearer tokens, discovery, server-side apply. */
import { Agent, request } from 'node:https';

export interface Identity {
  /** For the report and error messages. */
  name: string;
  cert?: string;
  key?: string;
  token?: string;
}

export interface Response {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface K8sObj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

export class Kube {
  private agents = new Map<string, Agent>();
  private resources = new Map<string, { name: string; namespaced: boolean }>();

  constructor(readonly server: string, private readonly ca: string) {}

  private agent(id?: Identity): Agent {
    const key = id ? `${id.name}|${id.cert ? 'cert' : 'token'}` : 'anonymous';
    let a = this.agents.get(key);
    if (!a) {
      a = new Agent({ keepAlive: true, maxSockets: 8, ca: this.ca, cert: id?.cert, key: id?.key });
      this.agents.set(key, a);
    }
    return a;
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  request(id: Identity | undefined, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (id?.token) headers.authorization = `Bearer ${id.token}`;
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = contentType;
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.server), { method, headers, agent: this.agent(id), timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try { json = JSON.parse(text); } catch { json = undefined; }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** The REST resource of a kind, from discovery (cached). */
  async resource(apiVersion: string, kind: string, admin: Identity): Promise<{ name: string; namespaced: boolean }> {
    const key = `${apiVersion}/${kind}`;
    const hit = this.resources.get(key);
    if (hit) return hit;
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const r = await this.request(admin, 'GET', base);
    if (r.status !== 200) throw new Error(`discovery ${base}: ${r.status} ${r.text.slice(0, 200)}`);
    for (const res of r.json.resources as { name: string; kind: string; namespaced: boolean }[])
      if (!res.name.includes('/')) this.resources.set(`${apiVersion}/${res.kind}`, { name: res.name, namespaced: res.namespaced });
    const found = this.resources.get(key);
    if (!found) throw new Error(`no resource for ${key}`);
    return found;
  }

  /** Collection path for a kind (in `namespace` when namespaced). */
  async collection(apiVersion: string, kind: string, namespace: string | undefined, admin: Identity): Promise<string> {
    const { name, namespaced } = await this.resource(apiVersion, kind, admin);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return namespaced ? `${base}/namespaces/${namespace ?? 'default'}/${name}` : `${base}/${name}`;
  }

  /** Server-side apply as `id` (fieldManager=bulwark, force). */
  async apply(id: Identity, obj: K8sObj, admin: Identity = id): Promise<Response> {
    const coll = await this.collection(obj.apiVersion, obj.kind, obj.metadata.namespace, admin);
    return this.request(id, 'PATCH', `${coll}/${encodeURIComponent(obj.metadata.name)}?fieldManager=bulwark&force=true`, obj, 'application/apply-patch+yaml');
  }

  /** POST with dryRun=All (nothing is stored) as `id`. */
  async dryRunCreate(id: Identity, obj: K8sObj, admin: Identity, namespace = obj.metadata.namespace): Promise<Response> {
    const coll = await this.collection(obj.apiVersion, obj.kind, namespace, admin);
    const body = namespace ? { ...obj, metadata: { ...obj.metadata, namespace } } : obj;
    return this.request(id, 'POST', `${coll}?dryRun=All&fieldManager=e2e`, body);
  }

  async create(id: Identity, obj: K8sObj, admin: Identity): Promise<Response> {
    const coll = await this.collection(obj.apiVersion, obj.kind, obj.metadata.namespace, admin);
    return this.request(id, 'POST', coll, obj);
  }
}

/** GET without verifying the server (controller manager / scheduler serve self-signed certificates). */
export function probe(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', rejectUnauthorized: false, agent: false, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
