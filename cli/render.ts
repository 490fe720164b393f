/**
 * npm run render -- --stack <name> [--out <dir>] [--secrets <file>]
 *                   --stack-file <path> instead of --stack for a stack file anywhere.
 * Exit codes: 0 rendered, 2 invalid input (every problem on stderr), 1 anything else.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findDefinitions, loadDefinitions } from '../core/cis/definitions';
import { StackConfigError } from '../core/config/errors';
import { loadVerification } from '../core/posture/verification';
import { renderStack, renderedFiles } from '../core/render/index';
import { withQuarterlyAdminClient } from '../core/secrets/admin-client';
import { REPO_ROOT, STACK_NAME, loadStack, todayDate } from '../core/stack';
import { OutDirError, checkReplaceable, inside, stackOutDir } from './out-dir';
import { SecretsFileError, obtainSecrets, writeSecretsFile } from './secrets-file';

const USAGE = 'usage: npm run render -- (--stack <name> | --stack-file <path>) [--out <dir>] [--secrets <file>]';

export class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { stack: { type: 'string' }, 'stack-file': { type: 'string' }, out: { type: 'string' }, secrets: { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.stack === !values['stack-file']) throw new UsageError(`give exactly one of --stack or --stack-file\n${USAGE}`);
  if (values.stack && !STACK_NAME.test(values.stack)) throw new UsageError(`--stack "${values.stack}" is not a stack name (letters, digits, . _ -)`);

  const valid = loadStack({ stack: values.stack, stackFile: values['stack-file'] && resolve(values['stack-file']) });
  const { dir: stackDir, tmp } = stackOutDir(values.out ?? 'out', valid.name);
  checkReplaceable(stackDir); // before the secrets in it are read
  const secrets = await obtainSecrets(values.secrets && resolve(values.secrets), join(stackDir, 'secrets.yaml'));
  const defsDir = findDefinitions(REPO_ROOT);
  // The talosconfig carries this quarter's admin client certificate, as the Pulumi program's does.
  const clients = await withQuarterlyAdminClient(secrets.bundle, todayDate());
  const rendered = renderStack(valid, clients, {
    ...(defsDir ? { cis: { checks: loadDefinitions(defsDir), source: defsDir } } : {}),
    verification: loadVerification(REPO_ROOT),
  });

  // Everything is rendered in memory first; then written to a fresh folder that replaces the old one.
  rmSync(tmp, { recursive: true, force: true }); // a link there is removed, never followed
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  for (const f of renderedFiles(rendered)) {
    const path = inside(tmp, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.content, { mode: f.secret ? 0o600 : 0o644 });
    if (f.secret) chmodSync(path, 0o600);
  }
  if (!values.secrets) {
    if (secrets.generated) writeSecretsFile(join(tmp, 'secrets.yaml'), secrets.bundle);
    else copyFileSync(secrets.path, join(tmp, 'secrets.yaml')); // the bytes, into a new regular file
    chmodSync(join(tmp, 'secrets.yaml'), 0o600);
  }
  checkReplaceable(stackDir);
  if (existsSync(stackDir)) rmSync(stackDir, { recursive: true });
  renameSync(tmp, stackDir);

  const p = rendered.posture;
  const cis = p.cis.evaluated ? Object.entries(p.cis.counts!).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') : 'not evaluated (kube-bench definitions not found)';
  const cps = rendered.nodes.filter((n) => n.role === 'controlplane').length;
  process.stdout.write(
    [
      `rendered stack ${valid.name} → ${stackDir}`,
      `  profile:  ${p.profile} (site ${p.site}), Talos ${p.talosVersion} contract ${p.contract}, Kubernetes ${p.kubernetesVersion}`,
      `  nodes:    ${rendered.nodes.length} (${cps} control plane, ${rendered.nodes.length - cps} worker), ${rendered.schematics.size} schematic(s)`,
      `  tenants:  ${valid.stack.tenants.length}, cluster objects: ${rendered.objects.length + [...rendered.tenantObjects.values()].reduce((a, o) => a + o.length, 0)}`,
      `  controls: ${p.summary.enforced} enforced, ${p.summary.depends ? `${p.summary.depends} depending on what this stack does not configure, ` : ''}${p.summary.notApplied ? `${p.summary.notApplied} not applied, ` : ''}${p.summary.waived} waived, ${p.summary.notRequired} not required, ${p.summary.notApplicable} not applicable`,
      `  CIS 1.12: ${cis}`,
      `  secrets:  ${values.secrets ? `from ${values.secrets}` : secrets.generated ? 'generated (secrets.yaml, mode 0600)' : 'reused (secrets.yaml)'}`,
      '',
    ].join('\n'),
  );
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    if (e instanceof StackConfigError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    if (e instanceof UsageError || e instanceof SecretsFileError || e instanceof OutDirError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`render failed: ${(e as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) void run(process.argv.slice(2)).then((code) => process.exit(code));
