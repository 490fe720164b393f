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

/**
 * bulwark:backup adds Talos API access for the backup job to the control planes (no example stack can hold its
 * S3 secrets without a passphrase salt): prod with it, on each line and its own contract (judged by talosctl validate).
 */
export function backupVariants(): Variant[] {
  const out: Variant[] = [];
  for (const line of ['1.13', '1.14'] as const) {
    const v = exampleValues('prod') as { cluster: Record<string, unknown>; waivers?: unknown[] };
    Object.assign(v.cluster, { talosVersion: TALOS_OF_LINE[line], contract: line });
    let valid: ValidStack;
    try {
      valid = validateValues('prod', { ...v, backup: BACKUP }, { today: TODAY });
    } catch (e) {
      if (line !== '1.13' || !/encrypts ConfigMaps/.test(String(e))) throw e;
      valid = validateValues('prod', { ...v, backup: BACKUP, waivers: [...(v.waivers ?? []), CONTRACT_113_WAIVER] }, { today: TODAY });
    }
    out.push({ label: `prod contract-${line} with bulwark:backup`, stack: 'prod', line, contract: line, valid });
  }
  return out;
}

/** A backup section as the program receives it (stack secrets decrypted). */
const BACKUP = {
  schedule: '0 */6 * * *',
  s3: { endpoint: 'https://s3.backup.example.internal:9000', bucket: 'prod-etcd', accessKeyId: 'id', secretAccessKey: 'key' },
  recipient: 'age17ltu9gnn7mp5xqtks6lk8me6jlmhenmnv9gctcyf9csaz7m9ucasx3f8ph',
  retentionDays: 30,
};
