/**
 * bulwark render (--stack <name> | --stack-file <path>) [--out <dir>] [--secrets <file>]
 * Renders a stack into <out>/<stack>/ (options: cli/commands/render.ts).
 * Exit codes: 0 rendered, 2 invalid input (every problem on stderr), 1 anything else.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findDefinitions, loadDefinitions } from '../core/cis/definitions';
import { loadVerification } from '../core/posture/verification';
import { renderStack, renderedFiles } from '../core/render/index';
import { withQuarterlyAdminClient } from '../core/secrets/admin-client';
import { caAgeReport } from '../core/posture/ca-age';
import { caRotationMismatch } from '../core/secrets/ca-rotation';
import { REPO_ROOT, today, todayDate } from '../core/stack';
import { GlobalOptions, InputError, Io, progress } from './io';
import { StackArgs, loadStackArg, printWarnings } from './stack-arg';
import { checkReplaceable, inside, stackOutDir } from './out-dir';
import { obtainSecrets, writeSecretsFile } from './secrets-file';

export class UsageError extends InputError {}

export interface RenderArgs extends StackArgs {
  out?: string;
  secrets?: string;
}

export async function renderCommand(a: RenderArgs, io: Io, g: GlobalOptions): Promise<number> {
  const step = progress(io, g);
  step('validating the stack');
  const valid = loadStackArg(a, io);
  printWarnings(valid, io);
  const values = { secrets: a.secrets && resolve(io.cwd, a.secrets) };
  const { dir: stackDir, tmp } = stackOutDir(resolve(io.cwd, a.out ?? 'out'), valid.name);
  checkReplaceable(stackDir); // before the secrets in it are read
  step('cluster secrets');
  const secrets = await obtainSecrets(values.secrets, join(stackDir, 'secrets.yaml'));
  const defsDir = findDefinitions(REPO_ROOT);
  // The talosconfig carries this quarter's admin client certificate, as the Pulumi program's does.
  const clients = await withQuarterlyAdminClient(secrets.bundle, todayDate());
  step(`rendering ${valid.stack.nodes.length} node(s) and ${valid.stack.tenants.length} tenant(s)`);
  const rendered = renderStack(valid, clients, {
    ...(defsDir ? { cis: { checks: loadDefinitions(defsDir), source: defsDir } } : {}),
    verification: loadVerification(REPO_ROOT),
    onNode: (i, n) => step.count('nodes rendered', i, n),
  });
  step.count('nodes rendered', rendered.nodes.length, rendered.nodes.length);
  // the CAs' ages and any rotation left half-done, from the real bundle (the posture itself does not depend on secrets)
  rendered.posture.certificateAuthorities = caAgeReport(secrets.bundle, today());
  for (const w of caRotationMismatch(secrets.bundle, valid.stack.caRotation)) io.err(`warning: ${w}\n`);

  // Everything is rendered in memory first; then written to a fresh folder that replaces the old one.
  rmSync(tmp, { recursive: true, force: true }); // a link there is removed, never followed
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const files = renderedFiles(rendered);
  step(`writing ${files.length} files`);
  for (const f of files) {
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
  const cis = p.cis.evaluated ? Object.entries(p.cis.counts!).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') : "not evaluated (kube-bench's CIS 1.12 definitions not found: `npm run e2e:tools` installs them, or set BULWARK_KUBE_BENCH_CFG to kube-bench's cfg folder)";
  const cps = rendered.nodes.filter((n) => n.role === 'controlplane').length;
  const summary = {
    stack: valid.name,
    dir: stackDir,
    profile: p.profile,
    site: p.site,
    talosVersion: p.talosVersion,
    contract: p.contract,
    kubernetesVersion: p.kubernetesVersion,
    nodes: { total: rendered.nodes.length, controlPlanes: cps, schematics: rendered.schematics.size },
    tenants: valid.stack.tenants.length,
    controls: p.summary,
    cis: p.cis.evaluated ? p.cis.counts : null,
    secrets: values.secrets ? 'given' : secrets.generated ? 'generated' : 'reused',
    warnings: valid.warnings ?? [],
  };
  if (g.output === 'json') {
    io.out(`${JSON.stringify(summary, null, 2)}\n`);
    return 0;
  }
  io.out(
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

/** `npm run render -- …` and older callers: the same as `bulwark render …`. */
export async function run(argv: string[]): Promise<number> {
  const { bulwark } = await import('./main');
  return bulwark(['render', ...argv]);
}
