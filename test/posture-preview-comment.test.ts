/**
 * The pull-request comment of scripts/ci-preview.sh opens each stack's preview with its nodes'
 * configuration changes, by setting. The stand-in `pulumi` replays what the real CLI printed for
 * a sysctl and API-server flag change (test/report/preview-prod.txt, recorded and re-checked by
 * test/engine/config-preview.test.ts); the rest of the script runs for real in a clone.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../core/stack';
import { previewNodeChanges } from '../core/ops/config-preview';
import { TODAY } from './helpers';

const RECORDING = join(__dirname, 'report', 'preview-prod.txt');
let root: string;
afterAll(() => root && rmSync(root, { recursive: true, force: true }));

/** A clone of this checkout (this working tree's preview files) whose last commit touches the prod stack. */
function clone(): string {
  root = mkdtempSync(join(tmpdir(), 'bulwark-preview-comment-'));
  const dir = join(root, 'repo');
  const git = (...a: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@invalid', '-c', 'commit.gpgsign=false', ...a], { encoding: 'utf8' });
  execFileSync('git', ['clone', '--quiet', '--shared', REPO_ROOT, dir]);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  for (const f of ['scripts/ci-preview.sh', 'cli/preview-node-changes.ts', 'core/ops/config-preview.ts']) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(REPO_ROOT, f), join(dir, f));
  }
  git('add', '-A');
  git('commit', '--quiet', '--allow-empty', '-m', 'this working tree\'s preview scripts');
  const file = join(dir, 'stacks', 'Pulumi.prod.yaml');
  const text = readFileSync(file, 'utf8');
  expect(text).toContain('\n  bulwark:waivers: []\n');
  writeFileSync(file, text.replace('\n  bulwark:waivers: []\n', '\n  bulwark:waivers:\n    - {control: k8s.apiserver.profiling-off, reason: profiling a slow API server, expires: "2027-01-31"}\n'));
  git('commit', '--quiet', '-am', 'prod: profiling on');
  const bin = join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'pulumi'), `#!/usr/bin/env bash\nif [[ "$1" == preview ]]; then cat -- ${JSON.stringify(RECORDING)}; fi\nexit 0\n`);
  chmodSync(join(bin, 'pulumi'), 0o755);
  return dir;
}

test('the comment opens prod\'s preview with the changed settings per group of nodes, outside the collapsed output', () => {
  const dir = clone();
  const out = join(root, 'out');
  const r = spawnSync('bash', ['scripts/ci-preview.sh'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 300_000,
    env: {
      ...process.env,
      PATH: `${join(root, 'bin')}:${process.env.PATH}`,
      BASE_REF: 'HEAD~1',
      BULWARK_CI_OUT: out,
      PULUMI_BACKEND_URL: 'file:///nonexistent',
      PULUMI_CONFIG_PASSPHRASE: 'test-passphrase',
      BULWARK_TODAY: TODAY,
      KUBE_BENCH_VERSION: '',
    },
  });
  const comment0 = readFileSync(join(out, "comment.md"), "utf8");
  if (r.status !== 0) throw new Error(`ci-preview.sh exited ${r.status}:\n${r.stderr.slice(0, 1500)}\n${comment0.slice(0, 6000).replace(/<pre>[^]*<\/pre>/, "")}`);
  const comment = readFileSync(join(out, 'comment.md'), 'utf8');
  const summary = previewNodeChanges(readFileSync(RECORDING, 'utf8'));
  expect(summary).toContain('- v1alpha1.cluster.apiServer.extraArgs.profiling = "false"');
  const at = comment.indexOf(`\`prod\`: ${summary}`);
  expect(at).toBeGreaterThan(0);
  expect(at).toBeLessThan(comment.indexOf('<details><summary><code>prod</code>: preview succeeded</summary>'));
  expect(comment).toContain('`prod-cp-1`, `prod-cp-2`, `prod-cp-3`:\n\n```diff\n');
});

test('no node section when the preview changes no node configuration', () => {
  expect(previewNodeChanges('Previewing update (lab):\n  + kubernetes:core/v1:Namespace: (create)\n      [urn=urn:pulumi:lab::bulwark::kubernetes:core/v1:Namespace::Namespace/data]\n')).toBe('');
});
