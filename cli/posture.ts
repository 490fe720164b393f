/**
 * bulwark posture (--stack <name> | --stack-file <path>) [--format md|json|html|sarif|junit] [--secrets <file>] [--out <dir>]
 *
 * Prints a stack's posture report. Rendering needs cluster secrets, the posture does not depend
 * on them: the stack's <out>/<stack>/secrets.yaml is used when present, else a throwaway bundle
 * generated in memory (never written). Nothing secret is printed.
 * Exit codes: 0 printed, 2 invalid input (every problem on stderr), 1 anything else.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findDefinitions, loadDefinitions } from '../core/cis/definitions';
import { isPostureFormat, renderPosture } from '../core/posture/formats';
import { loadVerification } from '../core/posture/verification';
import { caAgeReport } from '../core/posture/ca-age';
import { renderStack } from '../core/render/index';
import type { SecretsBundle } from '../core/secrets/bundle';
import { generateSecrets } from '../core/secrets/generate';
import { REPO_ROOT, today } from '../core/stack';
import { GlobalOptions, InputError, Io, progress } from './io';
import { readSecretsFile } from './secrets-file';
import { StackArgs, loadStackArg, printWarnings } from './stack-arg';

export class UsageError extends InputError {}

export const POSTURE_FORMATS = ['md', 'json', 'html', 'sarif', 'junit'] as const;

export interface PostureArgs extends StackArgs {
  format?: string;
  secrets?: string;
  out?: string;
}

/** The given file, else the stack's rendered secrets.yaml, else a throwaway bundle (not written). */
export async function postureSecrets(explicit: string | undefined, stackSecrets: string): Promise<SecretsBundle> {
  return (await postureBundle(explicit, stackSecrets)).bundle;
}

/** postureSecrets, and whether the bundle is the stack's (a throwaway one's CAs say nothing about the cluster). */
async function postureBundle(explicit: string | undefined, stackSecrets: string): Promise<{ bundle: SecretsBundle; real: boolean }> {
  if (explicit) return { bundle: readSecretsFile(explicit), real: true };
  if (existsSync(stackSecrets)) return { bundle: readSecretsFile(stackSecrets), real: true };
  return { bundle: await generateSecrets(), real: false };
}

export async function postureCommand(a: PostureArgs, io: Io, g: GlobalOptions): Promise<number> {
  const format = g.output === 'json' ? 'json' : (a.format ?? 'md');
  const valid = loadStackArg(a, io);
  printWarnings(valid, io);
  const { bundle: secrets, real } = await postureBundle(a.secrets && resolve(io.cwd, a.secrets), join(resolve(io.cwd, a.out ?? 'out'), valid.name, 'secrets.yaml'));
  const defsDir = findDefinitions(REPO_ROOT);
  const step = progress(io, g);
  const { posture, nodes } = renderStack(valid, secrets, {
    ...(defsDir ? { cis: { checks: loadDefinitions(defsDir), source: defsDir } } : {}),
    // the end-to-end suite's results (out/e2e/results.json), if it has run here
    verification: loadVerification(REPO_ROOT),
    onNode: (i, n) => step.count('nodes rendered', i, n),
  });
  step.count('nodes rendered', nodes.length, nodes.length);
  // the CAs' ages and any rotation left half-done, when the bundle is the stack's own
  if (real) posture.certificateAuthorities = caAgeReport(secrets, today());
  if (!isPostureFormat(format)) throw new UsageError(`--format is "${format}"; it must be one of ${POSTURE_FORMATS.join(', ')}`);
  io.out(renderPosture(posture, format));
  return 0;
}

/** `npm run posture -- …` and older callers: the same as `bulwark posture …`. */
export async function main(argv: string[], out?: (s: string) => void): Promise<number> {
  const { bulwark } = await import('./main');
  return bulwark(['posture', ...argv], out ? { out } : {});
}

export const run = (argv: string[]): Promise<number> => main(argv);
