/**
 * bulwark break-glass --stack <name> --person <name> --reason <text> [--lifetime <dur>]
 *                     [--out <dir>] [--secrets <file> | --state -]
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
 *   pulumi stack export --show-secrets | bulwark break-glass --stack prod --state - ...
 * Exit codes: 0 issued, 2 invalid input, 1 anything else.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { durationMs, lifetimeProblem, requestProblems } from '../core/auth/break-glass';
import { duration } from '../core/config/fields';
import { certificateKubeconfig } from '../core/render/clients';
import { mintBreakGlass } from '../core/secrets/break-glass';
import { SecretsBundle, checkSecrets } from '../core/secrets/bundle';
import { stackNameProblem } from '../core/stack';
import { GlobalOptions, InputError, Io } from './io';
import { loadStackArg } from './stack-arg';
import { OutDirError, inside, stackOutDir } from './out-dir';
import { readSecretsFile } from './secrets-file';

const USAGE = 'usage: bulwark break-glass --stack <name> --person <name> --reason <text> [--lifetime <dur>] [--out <dir>] [--secrets <file> | --state -]';
const BUNDLE_TYPE = 'pulumi-nodejs:dynamic/bulwark:ClusterSecretsBundle';
const SECRET_SIG = '4dabf18193072939515e22adb298388d';

export class UsageError extends InputError {}

/** `--stack`'s problem, if any, as the commands that take a stack name report it. */
export function stackOptionProblem(stack: string | undefined): string | undefined {
  const bad = stack ? stackNameProblem(stack) : 'is missing; name the stack (e.g. --stack prod)';
  return bad ? `--stack ${bad}` : undefined;
}

/** Problems with where the secrets bundle comes from: `--secrets <file>` or `--state -` (stdin), not both. */
export function bundleSourceProblems(values: { secrets?: string; state?: string }): string[] {
  const problems: string[] = [];
  if (values.secrets && values.state) problems.push('--secrets and --state both given; the bundle comes from one of them');
  if (values.state !== undefined && values.state !== '-') problems.push('--state takes "-" (the state on stdin: pulumi stack export --show-secrets | ...)');
  return problems;
}

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

export interface BreakGlassArgs {
  stack?: string;
  person?: string;
  reason?: string;
  lifetime?: string;
  out?: string;
  secrets?: string;
  state?: string;
}

export async function breakGlassCommand(values: BreakGlassArgs, io: Io, g: GlobalOptions): Promise<number> {
  // Every problem with the request at once.
  const problems = requestProblems(values.person, values.reason).map((p) => `${p.option} ${p.message}`);
  const stackBad = stackOptionProblem(values.stack);
  if (stackBad) problems.unshift(stackBad);
  if (values.lifetime !== undefined && !duration.safeParse(values.lifetime).success) problems.push(`--lifetime ${JSON.stringify(values.lifetime.slice(0, 40))} is not a duration; write it as e.g. 30m or 1h`);
  problems.push(...bundleSourceProblems(values));
  if (problems.length) throw new UsageError(`${problems.map((p) => `  - ${p}`).join('\n')}\n${USAGE}`);

  const valid = loadStackArg({ stack: values.stack! }, io);
  const max = valid.profile.settings.breakGlassMaxLifetime;
  const lifetime = values.lifetime ?? valid.stack.cluster.breakGlassCertLifetime;
  const tooLong = lifetimeProblem(lifetime, max, valid.profile.name);
  if (tooLong) throw new UsageError(`--lifetime ${tooLong}`);

  const { dir } = stackOutDir(resolve(io.cwd, values.out ?? 'out'), valid.name);
  const bundle = values.state ? bundleFromState(io.stdin()) : readSecretsFile(values.secrets ? resolve(io.cwd, values.secrets) : join(dir, 'secrets.yaml'));
  const cred = await mintBreakGlass(bundle, { person: values.person!, reason: values.reason!, lifetime, now: io.now() });
  const kubeconfig = certificateKubeconfig(valid.stack, bundle, cred.user, cred);

  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = inside(dir, `break-glass-${values.person}.kubeconfig`);
  if (existsSync(file) && !lstatSync(file).isFile()) throw new OutDirError(`${file} exists and is not a regular file; refusing to write through it`);
  writeFileSync(file, stringify(kubeconfig, { lineWidth: 0 }), { mode: 0o600 });
  chmodSync(file, 0o600);
  if (g.output === 'json')
    io.out(`${JSON.stringify({ stack: valid.name, file, user: cred.user, groups: cred.groups, serial: cred.serial, notBefore: cred.notBefore.toISOString(), notAfter: cred.notAfter.toISOString(), lifetime }, null, 2)}\n`);
  io.err(
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

/** `npm run break-glass -- …` and older callers: the same as `bulwark break-glass …`. */
export async function run(argv: string[], io?: { stdin: () => string; now: () => Date }): Promise<number> {
  const { bulwark } = await import('./main');
  return bulwark(['break-glass', ...argv], io ?? {});
}
