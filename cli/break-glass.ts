/**
 * npm run break-glass -- --stack <name> --person <name> --reason <text> [--lifetime <dur>]
 *                        [--out <dir>] [--secrets <file> | --state -]
 *
 * Mints a break-glass kubeconfig for one person (core/auth/break-glass.ts says what it is):
 * CN=break-glass:<person>, groups system:masters, bulwark:break-glass and the reason, signed
 * offline by the cluster's Kubernetes CA, valid --lifetime (default cluster.breakGlassCertLifetime,
 * never longer than the profile's breakGlassMaxLifetime). Written to
 * <out>/<stack>/break-glass-<person>.kubeconfig (mode 0600); what was issued goes to stderr, and
 * every request made with it carries the person and the reason into the API server's audit log.
 *
 * The CA comes from the stack's secrets bundle: <out>/<stack>/secrets.yaml (a rendered stack),
 * --secrets <file>, or, for a stack Pulumi runs, its state on stdin:
 *   pulumi stack export --show-secrets | npm run break-glass -- --stack prod --state - ...
 * Exit codes: 0 issued, 2 invalid input, 1 anything else.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { durationMs, lifetimeProblem, requestProblems } from '../core/auth/break-glass';
import { StackConfigError } from '../core/config/errors';
import { duration } from '../core/config/fields';
import { certificateKubeconfig } from '../core/render/clients';
import { mintBreakGlass } from '../core/secrets/break-glass';
import { SecretsBundle, checkSecrets } from '../core/secrets/bundle';
import { loadStack, stackNameProblem } from '../core/stack';
import { OutDirError, inside, stackOutDir } from './out-dir';
import { SecretsFileError, readSecretsFile } from './secrets-file';

const USAGE = 'usage: npm run break-glass -- --stack <name> --person <name> --reason <text> [--lifetime <dur>] [--out <dir>] [--secrets <file> | --state -]';
const BUNDLE_TYPE = 'pulumi-nodejs:dynamic/bulwark:ClusterSecretsBundle';
const SECRET_SIG = '4dabf18193072939515e22adb298388d';

export class UsageError extends Error {}

/** The secrets bundle out of `pulumi stack export --show-secrets` (never quoting the state in an error). */
export function bundleFromState(text: string): SecretsBundle {
  let state: { deployment?: { resources?: { type?: string; outputs?: { bundle?: unknown } }[] } };
  try {
    state = JSON.parse(text);
  } catch {
    throw new UsageError('--state -: stdin is not JSON; pipe `pulumi stack export --show-secrets` into it');
  }
  const res = state.deployment?.resources?.find((r) => r.type === BUNDLE_TYPE);
  let raw = res?.outputs?.bundle as unknown;
  if (raw && typeof raw === 'object' && SECRET_SIG in raw) {
    const plain = (raw as { plaintext?: string }).plaintext;
    if (plain === undefined) throw new UsageError('--state -: the secrets bundle in the state is still encrypted; export it with --show-secrets');
    raw = JSON.parse(plain);
  }
  if (!raw) throw new UsageError(`--state -: the state holds no ${BUNDLE_TYPE} resource; is this the stack's state?`);
  const { bundle, problems } = checkSecrets(raw);
  if (!bundle) throw new UsageError(`--state -: the secrets bundle in the state is damaged: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
  return bundle;
}

export async function main(argv: string[], io: { stdin: () => string; now: () => Date } = { stdin: () => readFileSync(0, 'utf8'), now: () => new Date() }): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: 'string' }, person: { type: 'string' }, reason: { type: 'string' }, lifetime: { type: 'string' },
      out: { type: 'string' }, secrets: { type: 'string' }, state: { type: 'string' }, help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // Every problem with the request at once.
  const problems = requestProblems(values.person, values.reason).map((p) => `${p.option} ${p.message}`);
  const stackBad = values.stack ? stackNameProblem(values.stack) : 'is missing; name the stack (e.g. --stack prod)';
  if (stackBad) problems.unshift(`--stack ${stackBad}`);
  if (values.lifetime !== undefined && !duration.safeParse(values.lifetime).success) problems.push(`--lifetime ${JSON.stringify(values.lifetime.slice(0, 40))} is not a duration; write it as e.g. 30m or 1h`);
  if (values.secrets && values.state) problems.push('--secrets and --state both given; the bundle comes from one of them');
  if (values.state !== undefined && values.state !== '-') problems.push('--state takes "-" (the state on stdin: pulumi stack export --show-secrets | ...)');
  if (problems.length) throw new UsageError(`${problems.map((p) => `  - ${p}`).join('\n')}\n${USAGE}`);

  const valid = loadStack({ stack: values.stack! });
  const max = valid.profile.settings.breakGlassMaxLifetime;
  const lifetime = values.lifetime ?? valid.stack.cluster.breakGlassCertLifetime;
  const tooLong = lifetimeProblem(lifetime, max, valid.profile.name);
  if (tooLong) throw new UsageError(`--lifetime ${tooLong}`);

  const { dir } = stackOutDir(values.out ?? 'out', valid.name);
  const bundle = values.state ? bundleFromState(io.stdin()) : readSecretsFile(values.secrets ?? join(dir, 'secrets.yaml'));
  const cred = await mintBreakGlass(bundle, { person: values.person!, reason: values.reason!, lifetime, now: io.now() });
  const kubeconfig = certificateKubeconfig(valid.stack, bundle, cred.user, cred);

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = inside(dir, `break-glass-${values.person}.kubeconfig`);
  if (existsSync(file) && !lstatSync(file).isFile()) throw new OutDirError(`${file} exists and is not a regular file; refusing to write through it`);
  writeFileSync(file, stringify(kubeconfig, { lineWidth: 0 }), { mode: 0o600 });
  chmodSync(file, 0o600);
  process.stderr.write(
    [
      `break-glass credential issued for stack ${valid.name} → ${file} (mode 0600)`,
      `  user:     ${cred.user}`,
      `  groups:   ${cred.groups.join(', ')}`,
      `  serial:   ${cred.serial}`,
      `  valid:    ${cred.notBefore.toISOString()} to ${cred.notAfter.toISOString()} (${lifetime}; profile ${valid.profile.name} allows at most ${max}, ${durationMs(max) / 60_000} min)`,
      '  It is system:masters and cannot be revoked before it expires: delete the file when done.',
      '  Every request made with it names this person and reason in the API server\'s audit log.',
      '',
    ].join('\n'),
  );
  return 0;
}

export async function run(argv: string[], io?: Parameters<typeof main>[1]): Promise<number> {
  try {
    return await main(argv, io);
  } catch (e) {
    if (e instanceof StackConfigError || e instanceof UsageError || e instanceof SecretsFileError || e instanceof OutDirError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`break-glass failed: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) run(process.argv.slice(2)).then((code) => process.exit(code));
