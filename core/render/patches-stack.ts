/**
 * A stack's config patches during a render: each node's documents patched in order (bulwark:patches.all,
 * then the node's role, then bulwark:nodes[i].patches), and the control decisions as the patched
 * configs support them. Problems (a patch Talos's semantics refuse, a patch on a security-owned path
 * where the profile forbids it) are collected over every node and thrown together, with key paths.
 */
import { StackConfigError, type ConfigProblem } from '../config/errors';
import type { NodeConfig } from '../config/schema';
import type { ValidStack } from '../config/validate';
import { CONFIGURED_STATES, type ControlDecision } from '../controls/resolve';
import type { ConfigPath, ControlContext } from '../controls/types';
import { type NodePatch, type PatchEffect, decisionsAfterPatches, ownedPaths, patchNode } from './patch-effects';
import type { Doc } from './patches';
import type { ClusterPlan } from './plan';

export function nodePatches(v: ValidStack, node: NodeConfig): NodePatch[] {
  const i = v.stack.nodes.indexOf(node);
  const p = v.stack.patches ?? { all: [], controlplane: [], worker: [] };
  return [
    ...p.all.map((patch, j) => ({ where: `bulwark:patches.all[${j}]`, patch })),
    ...p[node.role].map((patch, j) => ({ where: `bulwark:patches.${node.role}[${j}]`, patch })),
    ...(node.patches ?? []).map((patch, j) => ({ where: `bulwark:nodes[${i}].patches[${j}]`, patch })),
  ];
}

export interface StackPatcher {
  apply(node: NodeConfig, docs: Doc[]): Doc[];
  /** The decisions after every node's patches; throws the collected problems (with the render's other problems, given first). */
  decisions(earlier?: ConfigProblem[]): ControlDecision[];
}

export function stackPatcher(v: ValidStack, decisions: ControlDecision[], plan: ClusterPlan, ctx: ControlContext): StackPatcher {
  const effects: PatchEffect[] = [];
  const problems: ConfigProblem[] = [];
  const configured = decisions.filter((d) => CONFIGURED_STATES.includes(d.status.state));
  return {
    apply(node, docs) {
      const patches = nodePatches(v, node);
      if (!patches.length) return docs;
      const owned: { control: string; path: ConfigPath }[] = configured.flatMap((d) =>
        ownedPaths(d, plan.contributions.get(d.control.id) ?? {}, ctx, node).map((path) => ({ control: d.control.id, path })),
      );
      const r = patchNode(docs, patches, owned, node.name, ctx.talosLine);
      effects.push(...r.effects);
      problems.push(...r.problems.map((p) => ({ path: p.where, message: p.message })));
      return r.docs;
    },
    decisions(earlier = []) {
      problems.unshift(...earlier);
      if (v.profile.settings.securityOwnedPatches === 'forbidden') {
        const byChange = new Map<string, { e: PatchEffect; nodes: string[] }>();
        for (const e of effects) {
          const k = `${e.patch}\n${e.path}\n${e.control}`;
          const g = byChange.get(k) ?? { e, nodes: [] };
          g.nodes.push(e.node);
          byChange.set(k, g);
        }
        for (const { e, nodes } of byChange.values())
          problems.push({
            path: e.patch,
            message: `changes ${e.path} (node ${nodes.join(', ')}), which control ${e.control} owns; profile ${v.profile.name} forbids config patches on security-owned paths. Remove the patch, or waive ${e.control} with a reason`,
          });
      }
      if (problems.length) throw new StackConfigError(v.name, dedupe(problems));
      return decisionsAfterPatches(decisions, effects);
    },
  };
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path}\n${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
