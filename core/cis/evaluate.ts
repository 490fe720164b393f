/**
 * A small evaluator that follows kube-bench's compare semantics (check/test.go and check.go:
 * flags found by substring in the process command line, `--flag=value` parsed by the same
 * pattern, a kubelet-config path tried when the flag is absent, `set` true by default,
 * eq/noteq/gt/gte/lt/lte/has/nothave/regex/valid_elements, bin_op and|or). It judges the
 * command lines and kubelet config the rendered Talos configuration will really produce.
 */
import type { CisCheck, TestItem } from './definitions';

export interface ProcessModel {
  /** Full command lines as ps would show them. */
  cmdlines: { apiserver: string; controllermanager: string; scheduler: string; etcd: string; kubelet: string; proxy: string };
  kubeletConfig: Record<string, unknown>;
  /** What the audit script of 1.2.28 prints: `provider=<first provider>`. */
  encryptionProviderLine: string;
}

export type CisOutcome = 'pass' | 'fail' | 'manual' | 'not-evaluated';

export interface CisResult {
  id: string;
  text: string;
  outcome: CisOutcome;
  /** What was found, for the report (never a secret: flags and config only). */
  detail: string;
}

function findFlag(s: string, item: TestItem): { found: boolean; value: string } {
  const flag = item.flag ?? '';
  if (!s || !flag || !s.includes(flag)) return { found: false, value: '' };
  const re = new RegExp(`(${escapeRe(flag)})(=|: *)*([^\\s]*) *`);
  const m = s.match(re);
  if (!m) return { found: true, value: '' };
  if (m[3]) return { found: true, value: m[3] };
  if (item.compare) {
    const sp = s.match(new RegExp(`${escapeRe(flag)}\\s+([^\\s-][^\\s]*)`));
    if (sp) return { found: true, value: sp[1] };
  }
  return { found: true, value: flag.startsWith('--') ? 'true' : m[1] };
}

/**
 * The two JSONPath forms the CIS 1.12 kubelet checks use: `{.a.b.c}` and
 * `{range .list[:]}{}{','}{end}` (each element followed by the separator). Anything else is
 * refused loudly rather than guessed at.
 */
export function jsonPath(obj: unknown, path: string): string {
  const range = path.match(/^\{range \.([A-Za-z0-9_.]+)\[:\]\}\{\}\{'(.)'\}\{end\}$/);
  const m = range ? [path, range[1]] : path.match(/^\{\.([A-Za-z0-9_.]+)\}$/);
  if (!m) throw new Error(`unsupported kube-bench path ${path}`);
  let cur: unknown = obj;
  for (const k of m[1].split('.')) {
    if (cur && typeof cur === 'object' && k in (cur as object)) cur = (cur as Record<string, unknown>)[k];
    else return '';
  }
  if (cur === undefined || cur === null) return '';
  if (range) return Array.isArray(cur) ? cur.map((e) => `${String(e)}${range[2]}`).join('') : '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

export function compareOp(op: string, flagVal: string, want: string): boolean {
  switch (op) {
    case 'eq': {
      const v = flagVal.toLowerCase();
      return v === 'false' || v === 'true' ? v === want : flagVal === want;
    }
    case 'noteq': {
      const v = flagVal.toLowerCase();
      return v === 'false' || v === 'true' ? v !== want : flagVal !== want;
    }
    case 'gt': case 'gte': case 'lt': case 'lte': {
      const a = Number.parseInt(flagVal.trim(), 10);
      const b = Number.parseInt(want.trim(), 10);
      if (!/^[+-]?\d+$/.test(flagVal.trim()) || Number.isNaN(b)) return false;
      return op === 'gt' ? a > b : op === 'gte' ? a >= b : op === 'lt' ? a < b : a <= b;
    }
    case 'has': return flagVal.includes(want);
    case 'nothave': return !flagVal.includes(want);
    case 'regex': return new RegExp(want).test(flagVal);
    case 'valid_elements': {
      const split = (s: string) => s.trim().replace(/,+$/, '').split(',').map((x) => x.trim()).filter((x) => x.length);
      const s = split(flagVal);
      const t = split(want);
      if (!s.length && !t.length) return true;
      if (!s.length || !t.length) return false;
      return s.every((x) => t.includes(x));
    }
    default:
      throw new Error(`kube-bench compare op ${op} is not supported by the evaluator`);
  }
}

function evaluateItem(item: TestItem, found: boolean, value: string): boolean {
  if (item.set) return found && item.compare ? compareOp(item.compare.op, value, item.compare.value) : found;
  return !found;
}

/** The process whose `ps` output a check's audit command reads. */
export function auditTarget(check: CisCheck): keyof ProcessModel['cmdlines'] | 'encryption' | undefined {
  const a = check.audit;
  if (a.includes('ENCRYPTION_PROVIDER_CONFIG')) return 'encryption';
  if (/^\/bin\/ps/.test(a.trim()) || a.includes('ps -ef') || a.includes('ps -fC')) {
    if (a.includes('$apiserverbin')) return 'apiserver';
    if (a.includes('$controllermanagerbin')) return 'controllermanager';
    if (a.includes('$schedulerbin')) return 'scheduler';
    if (a.includes('$etcdbin')) return 'etcd';
    if (a.includes('$kubeletbin')) return 'kubelet';
    if (a.includes('$proxybin')) return 'proxy';
  }
  return undefined;
}

export function evaluateCheck(check: CisCheck, model: ProcessModel): CisResult {
  const base = { id: check.id, text: check.text };
  if (check.manual || !check.items.length) return { ...base, outcome: 'manual', detail: 'manual check in CIS 1.12' };
  const target = auditTarget(check);
  if (!target) return { ...base, outcome: 'not-evaluated', detail: `reads files or the live cluster (${check.audit.split('\n')[0].slice(0, 60)}), not a process flag` };
  const out = target === 'encryption' ? model.encryptionProviderLine : model.cmdlines[target];
  const results = check.items.map((item) => {
    let { found, value } = findFlag(out, item);
    let source = 'command line';
    if (!found && check.auditConfig && item.path && target === 'kubelet') {
      value = jsonPath(model.kubeletConfig, item.path);
      found = value !== '';
      source = 'kubelet config';
    }
    return { ok: evaluateItem(item, found, value), text: `${item.flag ?? item.path}${found ? `=${value}` : ' absent'} (${source})` };
  });
  const ok = check.binOp === 'or' ? results.some((r) => r.ok) : results.every((r) => r.ok);
  return { ...base, outcome: ok ? 'pass' : 'fail', detail: results.map((r) => r.text).join('; ') };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
