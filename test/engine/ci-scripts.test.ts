/**
 * scripts/ci-preview.sh and ci-deploy.sh once with the real Pulumi CLI on PATH (test/workflow.test.ts
 * runs them with a stand-in), in a clone whose last commit changes the lab stack. Without the nodejs
 * language host the CLI cannot run a Node program outside the Automation API, so their `pulumi
 * preview` / `pulumi up` stop there: the comment must say so, and hold no secret either way.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../core/stack';
import { allStrings, engineFile, notRunForReal, plaintextSecrets, timed } from './engine';

const { base, eng } = engineFile(__filename);

function clone(): string {
  const dir = join(base, 'repo');
  const git = (...a: string[]) => execFileSync('git', ['-C', dir, ...a], { encoding: 'utf8' });
  execFileSync('git', ['clone', '--quiet', '--shared', REPO_ROOT, dir]);
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  const file = join(dir, 'stacks', 'Pulumi.lab.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('groups: [lab-developers]', 'groups: [lab-developers, lab-engine-suite]'));
  git('-c', 'user.name=engine', '-c', 'user.email=engine@invalid', 'commit', '--quiet', '-am', 'lab: one more tenant group');
  return dir;
}

test('ci-preview.sh and ci-deploy.sh with the real CLI: the comment names the stack and the preview\'s outcome, and holds no secret', async () => {
  const dir = clone();
  const env = {
    ...process.env,
    BASE_REF: 'HEAD~1',
    BULWARK_CI_OUT: join(base, 'out'),
    KUBE_BENCH_VERSION: '', // never clone kube-bench from the network here; CIS results are not compared
  };
  const preview = await timed('ci-preview.sh (real CLI)', async () => spawnSync('bash', ['scripts/ci-preview.sh'], { cwd: dir, env, encoding: 'utf8' }));
  const comment = readFileSync(join(base, 'out', 'comment.md'), 'utf8');
  expect(comment).toContain('<!-- bulwark-preview -->');
  expect(comment).toContain('`lab`');
  expect(plaintextSecrets(allStrings(comment + preview.stdout + preview.stderr), [eng.env.PULUMI_CONFIG_PASSPHRASE])).toEqual([]);
  const out = readFileSync(join(base, 'out', 'preview-lab.txt'), 'utf8');
  if (preview.status === 0) expect(comment).toContain('preview succeeded');
  else {
    expect(out).toMatch(/language plugin|pulumi-language-nodejs/);
    expect(comment).toContain('preview failed');
    notRunForReal.push(`scripts/ci-preview.sh's \`pulumi preview\` (ran with the real CLI; the comment reports the failure): ${out.trim().split('\n').pop()}`);
  }
  // ci-deploy.sh: lab does not opt in (autoDeploy), so nothing is deployed and the CLI is not needed beyond the checks
  const deploy = await timed('ci-deploy.sh (real CLI)', async () => spawnSync('bash', ['scripts/ci-deploy.sh'], { cwd: dir, env: { ...env, HEAD_REF: 'HEAD' }, encoding: 'utf8' }));
  expect(deploy.status).toBe(0);
  expect(deploy.stderr).toContain('no opted-in stack is touched');
  notRunForReal.push('scripts/ci-deploy.sh\'s `pulumi up`: no example stack opts in to autoDeploy, and the CLI could not run the program outside the Automation API anyway (no nodejs language host).');
}, 600_000);
