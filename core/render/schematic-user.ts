/**
 * The stack's own schematic choices (`bulwark:schematic`, `bulwark:nodes[i].schematic`): official system
 * extensions and kernel arguments, merged with what the controls add. A kernel argument setting a key a
 * control sets to another value (`debugfs=on` against `debugfs=off`), or a key given twice with different
 * values, is a conflict, reported with the key path where it was written; the control's value is never
 * silently overridden.
 */
import type { ConfigProblem } from '../config/errors';
import type { NodeConfig, StackConfig } from '../config/schema';
import type { MachinePlan } from './plan';

/** `key=value` → key; a bare flag is its own key. */
const argKey = (a: string) => a.split('=')[0];

export interface NodeSchematic {
  kernelArgs: string[];
  extensions: string[];
  problems: ConfigProblem[];
}

export function nodeSchematic(stack: StackConfig, node: NodeConfig, machine: MachinePlan): NodeSchematic {
  const i = stack.nodes.indexOf(node);
  const problems: ConfigProblem[] = [];
  const kernelArgs = [...machine.kernelArgs.keys()];
  const byKey = new Map(kernelArgs.map((a) => [argKey(a), { value: a, by: `control ${machine.kernelArgs.get(a)}` }]));
  const extensions = new Set(machine.extensions.keys());
  const layers = [
    { where: 'bulwark:schematic', s: stack.schematic },
    { where: `bulwark:nodes[${i}].schematic`, s: node.schematic },
  ];
  for (const { where, s } of layers) {
    if (!s) continue;
    s.kernelArgs.forEach((a, j) => {
      const prev = byKey.get(argKey(a));
      if (prev && prev.value !== a) problems.push({ path: `${where}.kernelArgs[${j}]`, message: `${JSON.stringify(a)} conflicts with ${JSON.stringify(prev.value)} set by ${prev.by}; remove it${prev.by.startsWith('control') ? `, or waive ${prev.by.slice(8)} with a reason` : ''}` });
      else if (!prev) {
        byKey.set(argKey(a), { value: a, by: `${where}.kernelArgs[${j}]` });
        kernelArgs.push(a);
      }
    });
    for (const e of s.extensions) extensions.add(e);
  }
  return { kernelArgs, extensions: [...extensions], problems };
}
