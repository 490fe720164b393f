/** Reading and writing the cluster secrets file (mode 0600), shared by the CLI commands. */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { SecretsBundle, checkSecrets } from '../core/secrets/bundle';
import { generateSecrets } from '../core/secrets/generate';
import { InputError } from './io';

export class SecretsFileError extends InputError {}

export function readSecretsFile(file: string): SecretsBundle {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SecretsFileError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); give the path of a secrets file written by an earlier render`);
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch {
    // The parser's message would quote the offending line, which may be secret material.
    throw new SecretsFileError(`${file}: is not valid YAML`);
  }
  const { bundle, problems } = checkSecrets(raw);
  if (!bundle) throw new SecretsFileError(`${file} is not a usable secrets bundle:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`);
  return bundle;
}

/** The given file, or the stack's own secrets.yaml, generated once and reused after. */
export async function obtainSecrets(explicit: string | undefined, stackFile: string): Promise<{ bundle: SecretsBundle; generated: boolean; path: string }> {
  if (explicit) return { bundle: readSecretsFile(explicit), generated: false, path: explicit };
  if (existsSync(stackFile)) return { bundle: readSecretsFile(stackFile), generated: false, path: stackFile };
  return { bundle: await generateSecrets(), generated: true, path: stackFile };
}

export function writeSecretsFile(file: string, bundle: SecretsBundle): void {
  writeFileSync(file, stringify(bundle, { lineWidth: 0 }), { mode: 0o600 });
  chmodSync(file, 0o600);
}
