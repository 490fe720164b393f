/** Runs the real kube-bench against the running control plane and explains every automated non-pass. */
import { evidence, talosException } from '../../core/cis/report';
import type { ControlDecision } from '../../core/controls/resolve';
import { run } from './proc';
import type { Tools } from './tools';

export interface BenchCheck { id: string; text: string; status: string; manual: boolean }

/** The control plane's checks (CIS 1.12 sections 1-2: master, etcd); a node's are node-bench.ts's. */
export async function runKubeBench(tools: Tools): Promise<BenchCheck[]> {
  return kubeBenchChecks(tools.kubeBench, 'master,etcd', tools.kubeBenchCfg);
}

/** kube-bench's CIS 1.12 `targets` with the cfg folder `cfgDir`, every result as a check. */
export async function kubeBenchChecks(kubeBench: string, targets: string, cfgDir: string): Promise<BenchCheck[]> {
  const r = await run(kubeBench, ['run', '--targets', targets, '--benchmark', 'cis-1.12', '--config-dir', cfgDir, '--json'], { timeoutMs: 120_000 });
  const start = r.stdout.indexOf('{');
  if (start < 0) throw new Error(`kube-bench printed no JSON (exit ${r.code}): ${r.stderr.slice(0, 500)}`);
  const json = JSON.parse(r.stdout.slice(start));
  const controls = (Array.isArray(json) ? json : json.Controls) as { tests: { results: Record<string, unknown>[] }[] }[];
  const out: BenchCheck[] = [];
  for (const c of controls) for (const t of c.tests ?? []) for (const x of t.results ?? [])
    out.push({ id: String(x.test_number), text: String(x.test_desc), status: String(x.status), manual: x.type === 'manual' });
  return out;
}

/**
 * Why a non-passing automated check is acceptable, or undefined: the same evidence, Talos
 * exceptions and waivers core/cis/report.ts gives the offline evaluator, applied to the live flags.
 */
export function explain(id: string, apiserverArgs: Record<string, string>, contract: string, decisions: ControlDecision[]): string | undefined {
  const cmdline = Object.entries(apiserverArgs).map(([k, v]) => `--${k}=${v}`).join(' ');
  const ev = evidence(id, cmdline, contract);
  if (ev) return `evidence: ${ev}`;
  const ex = talosException(id);
  if (ex) return `talos-exception: ${ex}`;
  const w = decisions.find((d) => d.status.state === 'waived' && d.control.references.cis?.includes(id));
  if (w && w.status.state === 'waived') return `waived: ${w.control.id} by ${w.status.by}: ${w.status.reason}`;
  return undefined;
}
