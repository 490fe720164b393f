/**
 * The CIS table of the configuration that will really run: every node's documents after its config patches
 * (bulwark:patches), not Bulwark's plan. Control-plane checks are judged on each control-plane node, kubelet
 * and kube-proxy checks on every node; a check that differs between nodes takes its worst result and names the
 * nodes. A result a patch changed names the patch (the last one that changed it) and what it was before.
 */
import type { ConfigProblem } from '../config/errors';
import type { NodeConfig } from '../config/schema';
import type { ValidStack } from '../config/validate';
import type { ControlDecision } from '../controls/resolve';
import { nodePatches } from '../render/patches-stack';
import { type Doc, PatchError, applyConfigPatch } from '../render/patches';
import type { TalosLine } from '../talos/defaults';
import type { CisCheck } from './definitions';
import { type NodeComponentInputs, configInputs, deniedFlags, flagsFrom, processModel } from './model';
import { type CisRow, type CisVerdict, cisRow } from './report';

/** One node's component inputs as rendered, then after each config patch that changed them. */
export interface CisNode {
  node: NodeConfig;
  rendered: NodeComponentInputs;
  /** Empty when no patch changes what the components run with. */
  patched: { patch: string; inputs: NodeComponentInputs }[];
}

const same = (a: NodeComponentInputs, b: NodeComponentInputs) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A node's inputs before and after its patches (given both document sets from the render). Only when they
 * differ are the patches replayed one by one, to know which patch changed what. A flag Talos refuses to let
 * extraArgs override is a problem naming the patch that set it (Talos would reject the whole config).
 */
export function cisNode(v: ValidStack, line: TalosLine, node: NodeConfig, renderedDocs: Doc[], patchedDocs: Doc[]): { node: CisNode; problems: ConfigProblem[] } {
  const contract = v.stack.cluster.contract;
  const rendered = configInputs(contract, renderedDocs);
  const out: CisNode = { node, rendered, patched: [] };
  if (patchedDocs === renderedDocs || same(rendered, configInputs(contract, patchedDocs))) return { node: out, problems: [] };
  const problems: ConfigProblem[] = [];
  let docs = renderedDocs;
  let prev = rendered;
  for (const p of nodePatches(v, node)) {
    try {
      docs = applyConfigPatch(docs, p.patch, contract);
    } catch (e) {
      if (e instanceof PatchError) continue; // the patcher reports it
      throw e;
    }
    const inputs = configInputs(contract, docs);
    if (same(inputs, prev)) continue;
    const before = new Set(deniedFlags(v.stack, line, prev));
    for (const f of deniedFlags(v.stack, line, inputs))
      if (!before.has(f))
        problems.push({ path: p.where, message: `sets ${f} on node ${node.name}, which Talos does not let extraArgs override (it rejects the whole machine config); remove it from the patch` });
    out.patched.push({ patch: p.where, inputs });
    prev = inputs;
  }
  return { node: out, problems };
}

const RANK: CisVerdict[] = ['fail', 'waived', 'not-evaluated', 'manual', 'talos-exception', 'pass-by-evidence', 'pass'];
const worse = (a: CisVerdict, b: CisVerdict) => RANK.indexOf(a) < RANK.indexOf(b);
const onNodes = (check: CisCheck) => (n: CisNode) => check.target === 'node' || n.node.role === 'controlplane';

/** The CIS rows of the stack's patched configuration (see the header). */
export function patchedCisRows(v: ValidStack, line: TalosLine, checks: CisCheck[], nodes: CisNode[], decisions: ControlDecision[]): CisRow[] {
  const contract = v.stack.cluster.contract;
  // nodes of a role share their inputs: each distinct set is modelled and judged once
  const memo = new Map<string, Map<string, CisRow>>();
  const keys = new WeakMap<NodeComponentInputs, string>();
  const rowsOf = (node: NodeConfig, inputs: NodeComponentInputs) => {
    let key = keys.get(inputs);
    if (key === undefined) keys.set(inputs, (key = JSON.stringify(inputs)));
    let rows = memo.get(key);
    if (!rows) {
      const model = processModel(flagsFrom(v.stack, line, node, inputs), 'secretbox');
      rows = new Map(checks.map((c) => [c.id, cisRow(c, model, decisions, contract)]));
      memo.set(key, rows);
    }
    return rows;
  };
  const ordered = [...nodes].sort((a, b) => (a.node.role === b.node.role ? 0 : a.node.role === 'controlplane' ? -1 : 1));
  return checks.map((check) => {
    const on = ordered.filter(onNodes(check));
    const judged = (on.length ? on : ordered).map((n) => {
      const final = rowsOf(n.node, n.patched.at(-1)?.inputs ?? n.rendered).get(check.id)!;
      const before = rowsOf(n.node, n.rendered).get(check.id)!;
      // the patch that last changed this check's result on the node
      let by: string | undefined;
      if (final.verdict !== before.verdict) {
        let prev = before.verdict;
        for (const p of n.patched) {
          const r = rowsOf(n.node, p.inputs).get(check.id)!;
          if (r.verdict !== prev) by = p.patch;
          prev = r.verdict;
        }
      }
      return { name: n.node.name, row: final, before: before.verdict, by };
    });
    const worst = judged.reduce((w, j) => (worse(j.row.verdict, w.row.verdict) ? j : w));
    const patched = judged.filter((j) => j.by && j.row.verdict === worst.row.verdict);
    const unanimous = judged.every((j) => j.row.verdict === worst.row.verdict);
    const row: CisRow = { ...worst.row, ...(unanimous ? {} : { detail: `on ${judged.filter((j) => j.row.verdict === worst.row.verdict).map((j) => j.name).join(', ')}: ${worst.row.detail}` }) };
    if (!patched.length) return row;
    const byPatch = new Map<string, string[]>();
    for (const j of patched) byPatch.set(`${j.by}\0${j.before}`, [...(byPatch.get(`${j.by}\0${j.before}`) ?? []), j.name]);
    const changes = [...byPatch].map(([k, names]) => {
      const [patch, before] = k.split('\0');
      return `${patch} changes it on ${names.join(', ')} (${before} as Bulwark rendered it)`;
    });
    return { ...row, patches: [...new Set(patched.map((j) => j.by!))], reason: `config patch: ${changes.join('; ')}: ${row.reason ?? worst.row.detail}` };
  });
}
