/**
 * Reads a Pulumi stack file (stacks/Pulumi.<stack>.yaml) and returns its `bulwark:` keys.
 * Pulumi-encrypted values (`secure:`) cannot be read here: the CLI renders from the file
 * without the stack's secrets provider, so such a value is reported, not passed on.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigProblem, keyPath } from './errors';

export const NAMESPACE = 'bulwark';

export interface RawStack {
  name: string;
  values: Record<string, unknown>;
  problems: ConfigProblem[];
}

export function readStackFile(file: string, name: string): RawStack {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { name, values: {}, problems: [{ path: file, message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'}); create it or pass --stack-file with the right path` }] };
  }
  return parseStackYaml(text, name, file);
}

export function parseStackYaml(text: string, name: string, file = `Pulumi.${name}.yaml`): RawStack {
  let doc: unknown;
  try {
    doc = parse(text, { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    return { name, values: {}, problems: [{ path: file, message: `is not valid YAML: ${(e as Error).message.split('\n')[0]}` }] };
  }
  const config = (doc as { config?: unknown } | null)?.config;
  if (!config || typeof config !== 'object' || Array.isArray(config))
    return { name, values: {}, problems: [{ path: file, message: 'has no `config:` map; a stack file looks like `config:\\n  bulwark:cluster: ...`' }] };
  const values: Record<string, unknown> = {};
  const problems: ConfigProblem[] = [];
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    if (!key.startsWith(`${NAMESPACE}:`)) continue; // other providers' keys (e.g. kubernetes:...) are not ours
    const sub = key.slice(NAMESPACE.length + 1);
    values[sub] = value;
    findSecure(value, [sub], problems);
  }
  return { name, values, problems };
}

/** Values that are secrets by nature: the renderer never reads them, Pulumi decrypts them at `pulumi up`. */
const SECRET_PATHS = ['existingCluster.kubeconfig'];

function findSecure(value: unknown, path: (string | number)[], problems: ConfigProblem[]): void {
  if (Array.isArray(value)) value.forEach((v, i) => findSecure(v, [...path, i], problems));
  else if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'secure') {
      if (SECRET_PATHS.includes(path.join('.'))) return;
      problems.push({
        path: keyPath(path),
        message:
          'is an encrypted `secure:` value, which the renderer cannot decrypt; it needs this value in plain text. Keep it plain in the stack file ' +
          '(it is not a secret), or run through `pulumi up`, which decrypts it with the stack\'s secrets provider',
      });
    } else for (const [k, v] of Object.entries(value)) findSecure(v, [...path, k], problems);
  }
}
