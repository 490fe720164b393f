/**
 * The upstream Kubernetes OpenAPI v3 documents of the target version, from the
 * k8s.io/kubernetes Go module (api/openapi-spec/v3), fetched through the Go module proxy when
 * not in the module cache. Objects are validated strictly: unknown fields are errors, as with
 * the API server's strict field validation.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { ValidateFunction } from 'ajv';

export function openApiDir(version: string): string {
  const gomod = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
  const dir = join(gomod, `k8s.io/kubernetes@${version}`, 'api/openapi-spec/v3');
  if (!existsSync(dir)) {
    execFileSync('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${version}`], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, GOFLAGS: '-mod=mod' } });
  }
  if (!existsSync(dir)) throw new Error(`no OpenAPI documents at ${dir}`);
  return dir;
}

type Schema = Record<string, unknown>;

/** Forbid unknown fields wherever the schema lists its fields and does not allow arbitrary ones. */
function strict(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(strict);
  if (!s || typeof s !== 'object') return s;
  const o: Schema = {};
  for (const [k, v] of Object.entries(s)) o[k] = strict(v);
  if (o.properties && o.additionalProperties === undefined && !o['x-kubernetes-preserve-unknown-fields']) o.additionalProperties = false;
  // OpenAPI's nullable has no JSON Schema meaning for ajv; Kubernetes rejects nulls we never emit anyway.
  delete o.nullable;
  return o;
}

export function k8sValidators(version: string): (apiVersion: string, kind: string) => ValidateFunction {
  const dir = openApiDir(version);
  const schemas: Record<string, Schema> = {};
  for (const f of readdirSync(dir)) Object.assign(schemas, JSON.parse(readFileSync(join(dir, f), 'utf8')).components?.schemas ?? {});
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'k8s', components: { schemas: strict(schemas) } });
  const byGvk = new Map<string, string>();
  for (const [name, s] of Object.entries(schemas))
    for (const g of (s['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string }[] | undefined) ?? [])
      byGvk.set(`${g.group ? `${g.group}/` : ''}${g.version}/${g.kind}`, name);
  const cache = new Map<string, ValidateFunction>();
  return (apiVersion, kind) => {
    const key = `${apiVersion}/${kind}`;
    const name = byGvk.get(key);
    if (!name) throw new Error(`no OpenAPI schema for ${key} in Kubernetes ${version}`);
    if (!cache.has(key)) cache.set(key, ajv.compile({ $ref: `k8s#/components/schemas/${name}` }));
    return cache.get(key)!;
  };
}
