/**
 * kube-bench check definitions (CIS Kubernetes Benchmark 1.12), read from kube-bench's own
 * cfg folder. Read with the YAML failsafe schema so ids such as 4.2 stay strings and every
 * scalar arrives as the string kube-bench compares.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

export interface TestItem {
  flag?: string;
  path?: string;
  set: boolean;
  compare?: { op: string; value: string };
}

export interface CisCheck {
  id: string;
  text: string;
  /** kube-bench's target: master (API server, controller manager, scheduler), etcd, node, controlplane, policies. */
  target: string;
  /** Which component's process the audit command reads, from the audit text. */
  audit: string;
  auditConfig?: string;
  manual: boolean;
  binOp: 'and' | 'or';
  items: TestItem[];
}

const FILES = ['master', 'etcd', 'controlplane', 'node', 'policies'];

/** Where kube-bench's cis-1.12 definitions are looked for, in order. */
export function definitionDirs(repoRoot: string): string[] {
  const cache = process.env.BULWARK_E2E_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '/root', '.cache'), 'bulwark-e2e');
  const dirs = [
    process.env.BULWARK_KUBE_BENCH_CFG && join(process.env.BULWARK_KUBE_BENCH_CFG, 'cis-1.12'),
    process.env.BULWARK_KUBE_BENCH_CFG,
    resolve(repoRoot, '../shared/reference/kube-bench/cis-1.12'),
    toolchainCfg(cache),
  ];
  return dirs.filter((d): d is string => !!d);
}

/** The cis-1.12 folder of the kube-bench cfg the e2e toolchain installed (its manifest names it: kube-bench/<version>/cfg). */
function toolchainCfg(cache: string): string | undefined {
  try {
    const m = JSON.parse(readFileSync(join(cache, 'manifest.json'), 'utf8')) as { tools?: Record<string, { cfgDir?: unknown }> };
    const dir = m.tools?.['kube-bench']?.cfgDir;
    return typeof dir === 'string' ? join(dir, 'cis-1.12') : undefined;
  } catch {
    return undefined; // no toolchain here
  }
}

export function findDefinitions(repoRoot: string): string | undefined {
  return definitionDirs(repoRoot).find((d) => existsSync(join(d, 'master.yaml')));
}

export function loadDefinitions(dir: string): CisCheck[] {
  const checks: CisCheck[] = [];
  for (const f of FILES) {
    const doc = parse(foldQuotedContinuations(readFileSync(join(dir, `${f}.yaml`), 'utf8')), { schema: 'failsafe' }) as Record<string, unknown>;
    for (const group of (doc.groups as Record<string, unknown>[]) ?? []) {
      for (const c of (group.checks as Record<string, unknown>[]) ?? []) {
        const tests = c.tests as { test_items?: Record<string, unknown>[]; bin_op?: string } | undefined;
        checks.push({
          id: String(c.id),
          text: String(c.text),
          target: f,
          audit: String(c.audit ?? ''),
          auditConfig: c.audit_config ? String(c.audit_config) : undefined,
          manual: c.type === 'manual',
          binOp: tests?.bin_op === 'or' ? 'or' : 'and',
          items: (tests?.test_items ?? []).map((t) => ({
            flag: t.flag === undefined ? undefined : String(t.flag),
            path: t.path === undefined ? undefined : String(t.path),
            // kube-bench's testItem.UnmarshalYAML: set is true unless written false
            set: t.set === undefined ? true : String(t.set) === 'true',
            compare: t.compare ? { op: String((t.compare as Record<string, unknown>).op), value: String((t.compare as Record<string, unknown>).value) } : undefined,
          })),
        });
      }
    }
  }
  return checks;
}

/**
 * kube-bench's files continue some double-quoted `text:` values on a line indented no deeper
 * than the key; go-yaml accepts that, the YAML spec does not. Fold each such continuation
 * into its line, which is the value YAML's line folding gives.
 */
export function foldQuotedContinuations(text: string): string {
  let prev: string;
  do {
    prev = text;
    text = text.replace(/^(\s*[\w-]+: "[^"\n]*)\n\s*([^\n]*")$/gm, '$1 $2');
  } while (text !== prev);
  return text;
}
