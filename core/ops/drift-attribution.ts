/**
 * Which control sets which path of a node's machine configuration, found by the renderer itself:
 * render the stack once without each configured control and note the paths of each node's
 * configuration that change. A drifted path then weakens the controls that own it (or a path
 * inside or around it). Nothing here restates what a control writes, so it cannot fall behind the
 * catalogue. Pure; one render per configured control (a few milliseconds each for an example stack).
 */
import type { ValidStack } from '../config/validate';
import { CATALOGUE } from '../controls/catalogue';
import { CONFIGURED_STATES, controlContext, decideControls } from '../controls/resolve';
import type { Control } from '../controls/types';
import { renderStack } from '../render/index';
import type { SecretsBundle } from '../secrets/bundle';
import { machineConfigDiff } from './drift';

/** node name → (control id → paths of that node's configuration the control sets). */
export function machineOwners(v: ValidStack, secrets: SecretsBundle, catalogue: readonly Control[] = CATALOGUE): Map<string, Map<string, string[]>> {
  const full = renderStack(v, secrets, { catalogue });
  const owners = new Map(full.nodes.map((n) => [n.name, new Map<string, string[]>()]));
  const configured = decideControls(catalogue, controlContext(v.stack, v.profile)).filter((d) => CONFIGURED_STATES.includes(d.status.state));
  for (const { control } of configured) {
    let without;
    try {
      without = renderStack(v, secrets, { catalogue: catalogue.filter((c) => c.id !== control.id) });
    } catch {
      continue; // another control needs this one's contribution: its paths stay with the others
    }
    for (const n of full.nodes) {
      const other = without.nodes.find((x) => x.name === n.name);
      if (!other) continue;
      const paths = machineConfigDiff(n.config, other.config);
      if (paths.length) owners.get(n.name)!.set(control.id, paths);
    }
  }
  return owners;
}
