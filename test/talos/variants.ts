/**
 * The configurations the Talos judges look at: every example stack as it is, its contract-1.13 variant on
 * Talos 1.13, its contract-1.14 variant on Talos 1.14, and the step between them that docs/operations.md
 * prescribes for a minor upgrade (Talos 1.14 nodes still on contract 1.13).
 */
import type { ValidStack } from '../../core/config/validate';
import { validateValues } from '../../core/stack';
import { EXAMPLES, TODAY, exampleValues } from '../helpers';

export type TalosLine = '1.13' | '1.14';

export interface Variant {
  /** e.g. `prod contract-1.14` */
  label: string;
  stack: string;
  line: TalosLine;
  contract: TalosLine;
  valid: ValidStack;
}

/** The newest patch of each line, the versions the judges are built at (e2e/tools/talosctl.sh). */
export const TALOS_OF_LINE: Record<TalosLine, string> = { '1.13': 'v1.13.9', '1.14': 'v1.14.1' };

/**
 * Contract 1.13 cannot carry a custom encryption config (core/config/validate.ts refuses it for profiles that
 * encrypt ConfigMaps); its 1.13 variant takes the waiver that refusal names, as a stack on 1.13 would have to.
 */
const CONTRACT_113_WAIVER = { control: 'k8s.etcd.encryption-configmaps', reason: 'contract 1.13 variant for the Talos judges: Talos 1.13 encrypts Secrets only' };

export function variants(): Variant[] {
  const out: Variant[] = [];
  for (const stack of EXAMPLES) {
    const combos: Array<[string, TalosLine, TalosLine]> = [
      ['contract-1.13', '1.13', '1.13'],
      ['contract-1.14', '1.14', '1.14'],
      ['upgrade-step (Talos 1.14, contract 1.13)', '1.14', '1.13'],
    ];
    for (const [name, line, contract] of combos) {
      const v = exampleValues(stack) as { cluster: Record<string, unknown>; waivers?: unknown[] };
      const asIs = v.cluster.talosVersion === TALOS_OF_LINE[line] && v.cluster.contract === contract;
      v.cluster.talosVersion = TALOS_OF_LINE[line];
      v.cluster.contract = contract;
      let valid: ValidStack;
      try {
        valid = validateValues(stack, v, { today: TODAY });
      } catch (e) {
        if (contract !== '1.13' || !/encrypts ConfigMaps/.test(String(e))) throw e;
        v.waivers = [...(v.waivers ?? []), CONTRACT_113_WAIVER];
        valid = validateValues(stack, v, { today: TODAY });
      }
      out.push({ label: `${stack} ${name}${asIs ? ' (as committed)' : ''}`, stack, line, contract, valid });
    }
  }
  return out;
}
