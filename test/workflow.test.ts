/**
 * The CI workflow users copy, and the scripts it runs: valid YAML, pinned actions, every command
 * it runs exists, secrets only where Pulumi runs, one comment found by its marker. The scripts run
 * for real in a scratch copy of the repository, with a stand-in `pulumi` that records its calls.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { autoDeploys, touchedStacks } from '../cli/ci-stacks';
import { REPO_ROOT } from '../core/stack';
import { REFERENCE, TODAY } from './helpers';

const WORKFLOW = join(REPO_ROOT, '.github/workflows/bulwark-preview.yml');
const SCRIPTS = ['scripts/ci-preview.sh', 'scripts/ci-deploy.sh'];
const MARKER = '<!-- bulwark-preview -->';
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string> };

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
}
interface Job {
  if?: string;
  needs?: string;
  environment?: string;
  'runs-on'?: string;
  env?: Record<string, string>;
  steps: Step[];
  permissions?: Record<string, string>;
}
const text = readFileSync(WORKFLOW, 'utf8');
const wf = parse(text) as { on: Record<string, { branches?: string[] }>; env?: Record<string, string>; permissions: Record<string, string>; jobs: Record<string, Job> };
const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
const scriptText = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');

/** Everything the workflow executes: its run blocks and the scripts they call. */
function commands(): string[] {
  const runs = steps.map((s) => s.run).filter((r): r is string => !!r);
  return [...runs, ...SCRIPTS.map(scriptText)];
}

describe('the workflow file', () => {
  test('is valid YAML with a preview job on pull requests and a deploy job on pushes to main', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push']);
    expect(wf.on.push.branches).toEqual(['main']);
    expect(Object.keys(wf.jobs)).toEqual(['posture', 'preview', 'deploy']);
    expect(wf.jobs.posture.if).toBe("github.event_name == 'pull_request'");
    expect(wf.jobs.preview.if).toContain("github.event_name == 'pull_request'");
    expect(wf.jobs.preview.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(wf.jobs.deploy.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(wf.jobs.preview.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(wf.jobs.posture.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(wf.jobs.deploy.permissions).toEqual({ contents: 'read' });
  });

  test('every action is pinned to a full commit (with its version tag noted) or an exact version tag', () => {
    const uses = steps.map((s) => s.uses).filter((u): u is string => !!u);
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@([0-9a-f]{40}|v\d+\.\d+\.\d+)$/);
    for (const line of text.split('\n').filter((l) => /^\s*-?\s*uses:/.test(l)))
      if (/@[0-9a-f]{40}/.test(line)) expect(line).toMatch(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    expect(uses.filter((u) => u.startsWith('pulumi/actions@'))).toHaveLength(2);
    expect(uses.filter((u) => u.startsWith('actions/github-script@'))).toHaveLength(2);
  });

  test('installs the Pulumi CLI matching @pulumi/pulumi in package.json', () => {
    expect(wf.env?.PULUMI_VERSION).toBe(pkg.dependencies['@pulumi/pulumi']);
    for (const s of steps.filter((x) => x.uses?.startsWith('pulumi/actions@'))) {
      expect(s.with).toEqual({ 'pulumi-version': '${{ env.PULUMI_VERSION }}' });
    }
  });

  test('every npm script it runs is in package.json', () => {
    const names = commands().flatMap((c) => [...c.matchAll(/\bnpm run(?:\s+--?[\w-]+)*\s+([\w:.-]+)/g)].map((m) => m[1]));
    expect(names.sort()).toEqual(['posture:diff']);
    for (const n of names) expect(Object.keys(pkg.scripts)).toContain(n);
    for (const c of commands()) for (const m of c.matchAll(/\bnpm (\w+)/g)) expect(['run', 'ci']).toContain(m[1]);
  });

  test('every script and source file it runs exists in the repository', () => {
    const paths = commands().flatMap((c) => [...c.matchAll(/(?:^|[\s"'])((?:scripts|cli|policy)\/[\w./-]+\.(?:sh|ts))\b/g)].map((m) => m[1]));
    expect([...new Set(paths)].sort()).toEqual(['cli/ci-stacks.ts', 'cli/preview-node-changes.ts', 'scripts/ci-deploy.sh', 'scripts/ci-preview.sh']);
    for (const p of paths) expect(existsSync(join(REPO_ROOT, p))).toBe(true);
    // The policy pack the scripts pass to pulumi.
    expect(SCRIPTS.every((s) => scriptText(s).includes('POLICY_PACK="${POLICY_PACK-policy}"'))).toBe(true);
    for (const f of ['policy/PulumiPolicy.yaml', 'policy/index.ts', 'policy/package.json']) expect(existsSync(join(REPO_ROOT, f))).toBe(true);
    expect(JSON.parse(scriptText('policy/package.json')).version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(parse(scriptText('policy/PulumiPolicy.yaml'))).toMatchObject({ runtime: 'nodejs' });
  });

  test('secrets reach only the steps that run Pulumi', () => {
    expect(JSON.stringify(wf.env ?? {})).not.toContain('secrets.');
    for (const j of Object.values(wf.jobs)) {
      expect(JSON.stringify(j.env ?? {})).not.toContain('secrets.');
      for (const s of j.steps) {
        const usesSecrets = JSON.stringify(s).includes('secrets.');
        // the Pulumi steps of the preview and deploy jobs; the posture job's run of ci-preview.sh has none
        expect(usesSecrets).toBe(!!s.run && /scripts\/ci-(preview|deploy)\.sh/.test(s.run) && s.env?.BULWARK_SKIP_PREVIEW !== '1');
      }
    }
    const checkout = steps.filter((s) => s.uses?.startsWith('actions/checkout@'));
    for (const s of checkout) expect(s.with).toMatchObject({ 'fetch-depth': 0, 'persist-credentials': false });
  });

  test("no job that runs a pull request's unreviewed code holds credentials that decrypt state", () => {
    // A same-repository branch runs its own scripts (and its own copy of this file): any job of a
    // pull request that sees the state backend and passphrase must wait for a reviewer first.
    for (const [name, j] of Object.entries(wf.jobs).filter(([, job]) => (job.if ?? '').includes("'pull_request'"))) {
      if (!JSON.stringify(j).includes('secrets.')) continue;
      expect([name, j.environment]).toEqual(['preview', 'bulwark-preview']);
      expect(j.needs).toBe('posture');
      expect(j.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    }
    // The posture diff: every pull request (forks too), no secrets, posture only, never on a self-hosted runner.
    const posture = wf.jobs.posture;
    expect(JSON.stringify(posture)).not.toContain('secrets.');
    expect(posture.environment).toBeUndefined();
    expect(posture['runs-on']).toMatch(/^ubuntu-\d/);
    const step = posture.steps.find((s) => s.run?.includes('scripts/ci-preview.sh'))!;
    expect(step.env).toEqual({ BULWARK_CI_OUT: '${{ runner.temp }}/bulwark-ci', BULWARK_SKIP_PREVIEW: '1' });
    expect(posture.steps.some((s) => s.uses?.startsWith('pulumi/actions@'))).toBe(false);
    // forks' tokens cannot comment: the post step is for same-repository pull requests only
    expect(posture.steps.find((s) => s.uses?.startsWith('actions/github-script@'))!.if).toContain('head.repo.full_name == github.repository');
    // the deploy job's secrets are the bulwark environment's (docs/ci.md: main branch only)
    expect(wf.jobs.deploy.environment).toBe('bulwark');
  });

  test('posts one comment, found by the marker the script writes, and fails the job after posting', () => {
    const post = wf.jobs.preview.steps.find((s) => s.uses?.startsWith('actions/github-script@'))!;
    const js = String(post.with?.script);
    expect(js).toContain(`const marker = '${MARKER}';`);
    expect(js).toContain('github.rest.issues.updateComment');
    expect(js).toContain('github.rest.issues.createComment');
    expect(js).toContain("c.user.type === 'Bot'");
    expect(post.if).toBe('${{ !cancelled() }}');
    expect(scriptText('scripts/ci-preview.sh')).toContain(`MARKER='${MARKER}'`);
    const names = wf.jobs.preview.steps.map((s) => s.name ?? s.uses ?? s.run);
    expect(names.indexOf('Post or update the pull-request comment')).toBeLessThan(names.indexOf('Fail when a preview or the posture diff failed'));
    // The script runs after the CLI is installed and dependencies are in.
    expect(names.indexOf('npm ci')).toBeLessThan(names.indexOf('Posture diff and pulumi preview'));
  });
});

describe('the scripts', () => {
  test.each(SCRIPTS)('%s: bash, strict mode, executable, no eval, parses', (p) => {
    const s = scriptText(p);
    expect(s.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(s).toMatch(/^set -euo pipefail$/m);
    expect(s).not.toMatch(/\beval\b/);
    expect(statSync(join(REPO_ROOT, p)).mode & 0o111).toBeTruthy();
    expect(spawnSync('bash', ['-n', join(REPO_ROOT, p)]).status).toBe(0);
  });

  test('touched stacks: stack files, shared paths, removed stacks', () => {
    const head = ['edge-store', 'lab', 'prod', 'saas'];
    expect(touchedStacks(['stacks/Pulumi.lab.yaml', 'docs/ci.md'], head).stacks).toEqual(['lab']);
    expect(touchedStacks(['README.md'], head).stacks).toEqual([]);
    expect(touchedStacks(['profiles/multi-team.yaml'], head).stacks).toEqual(head);
    expect(touchedStacks(['core/render/plan.ts'], head).stacks).toEqual(head);
    expect(touchedStacks(['components/cluster.ts', 'stacks/Pulumi.old.yaml'], head).stacks).toEqual(['edge-store', 'lab', 'old', 'prod', 'saas']);
    expect(touchedStacks(['stacks/Pulumi.old.yaml'], head).stacks).toEqual(['old']);
    expect(touchedStacks('all', head).stacks).toEqual(head);
    expect(touchedStacks(['stacks/Pulumi.$(x).yaml', 'stacks/README.md'], head).stacks).toEqual([]);
  });

  test('auto-deploy opt-in is read from bulwark:operations.autoDeploy', () => {
    expect(autoDeploys('config:\n  bulwark:operations:\n    autoDeploy: true\n')).toBe(true);
    expect(autoDeploys('config:\n  bulwark:operations:\n    autoDeploy: "true"\n')).toBe(false);
    expect(autoDeploys('config:\n  bulwark:operations:\n    environment: production\n')).toBe(false);
    expect(autoDeploys(': not yaml : [')).toBe(false);
  });
});

describe('the scripts, run in a scratch copy of the repository', () => {
  /** Each run starts ts-node and renders stacks: allow for a loaded machine. */
  const SLOW = 180_000;
  let repo: string;
  let bin: string;
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', repo, '-c', 'user.email=ci@example.com', '-c', 'user.name=ci', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' });

  beforeAll(() => {
    const root = mkdtempSync(join(tmpdir(), 'bulwark-ci-test-'));
    repo = join(root, 'repo');
    bin = join(root, 'bin');
    mkdirSync(repo);
    mkdirSync(bin);
    // The repository's files as a user's copy would have them, with the posture scripts in package.json.
    const files = execFileSync('git', ['-C', REPO_ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const f of files) {
      if (!existsSync(join(REPO_ROOT, f))) continue;
      mkdirSync(dirname(join(repo, f)), { recursive: true });
      copyFileSync(join(REPO_ROOT, f), join(repo, f));
      chmodSync(join(repo, f), statSync(join(REPO_ROOT, f)).mode);
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(repo, 'node_modules'));
    const p = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
    p.scripts.posture ??= 'ts-node --transpile-only cli/posture.ts';
    p.scripts['posture:diff'] ??= 'ts-node --transpile-only cli/posture-diff.ts';
    writeFileSync(join(repo, 'package.json'), `${JSON.stringify(p, null, 2)}\n`);
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'base');
    const lab = join(repo, 'stacks', 'Pulumi.lab.yaml');
    const waiver = '  bulwark:waivers:\n    - control: k8s.kubelet.pod-pids-limit\n      reason: bursty batch jobs fork many processes\n      expires: "2027-01-31"\n';
    writeFileSync(lab, `${readFileSync(lab, 'utf8').trimEnd()}\n${waiver}`);
    git('commit', '-qam', 'waive the PID limit on lab');
    writeFileSync(lab, `${readFileSync(lab, 'utf8').trimEnd()}\n  bulwark:operations:\n    autoDeploy: true\n`);
    git('commit', '-qam', 'deploy lab on merge');
    // A branch whose saas waiver has expired.
    git('checkout', '-q', '-b', 'expired', 'main~1');
    const saas = join(repo, 'stacks', 'Pulumi.saas.yaml');
    writeFileSync(saas, `${readFileSync(saas, 'utf8').trimEnd()}\n  bulwark:waivers:\n    - control: auth.rbac.auditors\n      reason: not provisioned in the IdP yet\n      expires: "2026-10-01"\n`);
    git('commit', '-qam', 'expired waiver');
    git('checkout', '-q', 'main');
    // A stand-in pulumi: records its arguments; `preview` fails for stacks named in FAIL_STACK.
    writeFileSync(
      join(bin, 'pulumi'),
      '#!/usr/bin/env bash\nprintf \'%s\\n\' "$*" >>"$PULUMI_LOG"\n[[ "$1" == preview || "$1" == up ]] && printf \'PULUMI_SKIP_CHECKPOINTS=%s\\n\' "${PULUMI_SKIP_CHECKPOINTS-}" >>"$PULUMI_LOG"\nif [[ "$1" == preview ]]; then echo "Previewing update (${*: -3:1})"; echo "  + kubernetes:core/v1:Namespace <data>"; [[ "$*" == *"--stack ${FAIL_STACK:-none} "* ]] && exit 7; fi\nexit 0\n',
    );
    chmodSync(join(bin, 'pulumi'), 0o755);
  });

  afterAll(() => rmSync(dirname(repo), { recursive: true, force: true }));

  const env = (extra: Record<string, string>) => ({
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    PULUMI_BACKEND_URL: 'file:///nonexistent',
    PULUMI_CONFIG_PASSPHRASE: 'test-passphrase',
    PULUMI_LOG: join(dirname(repo), 'pulumi.log'),
    PULUMI_SKIP_CHECKPOINTS: '', // whatever the caller's shell exports: the scripts decide
    BULWARK_TODAY: TODAY,
    BULWARK_KUBE_BENCH_CFG: join(REFERENCE, 'kube-bench'),
    ...extra,
  });

  test('ci-preview.sh: the touched stack\'s posture diff and preview in one marked comment', () => {
    const out = join(dirname(repo), 'out-ok');
    const r = spawnSync('bash', ['scripts/ci-preview.sh'], { cwd: repo, env: env({ BASE_REF: 'main~2', HEAD_REF: 'main~1', BULWARK_CI_OUT: out }), encoding: 'utf8', timeout: 120000 });
    if (r.status !== 0) throw new Error(`ci-preview.sh exited ${r.status}:\n${r.stderr}`);
    const comment = readFileSync(join(out, 'comment.md'), 'utf8');
    expect(comment.startsWith(`${MARKER}\n## Bulwark preview\n`)).toBe(true);
    expect(readFileSync(join(out, 'stacks.txt'), 'utf8')).toBe('lab\n');
    expect(comment).toContain('### `lab`: weaker');
    expect(comment).toContain('| 4.2.13 | pass | waived |');
    expect(comment).toContain('<details><summary><code>lab</code>: preview succeeded</summary>');
    expect(comment).toContain('+ kubernetes:core/v1:Namespace &lt;data&gt;');
    const calls = readFileSync(join(dirname(repo), 'pulumi.log'), 'utf8');
    expect(calls).toContain('stack select --create --secrets-provider passphrase --non-interactive lab\n');
    // without checkpoints: a preview saves nothing, and each checkpoint re-serializes the whole snapshot (docs/operations.md)
    expect(calls).toContain('preview --diff --non-interactive --color never --stack lab --policy-pack policy\nPULUMI_SKIP_CHECKPOINTS=true\n');
  }, SLOW);

  test('ci-preview.sh: a failing preview is reported in the comment and fails the run', () => {
    const out = join(dirname(repo), 'out-fail');
    const r = spawnSync('bash', ['scripts/ci-preview.sh'], { cwd: repo, env: env({ BASE_REF: 'main~2', HEAD_REF: 'main~1', BULWARK_CI_OUT: out, FAIL_STACK: 'lab' }), encoding: 'utf8', timeout: 120000 });
    expect(r.status).toBe(1);
    expect(readFileSync(join(out, 'comment.md'), 'utf8')).toContain('<code>lab</code>: <b>preview failed</b> (exit 7)');
  }, SLOW);

  test('ci-preview.sh: a stack that no longer validates fails the run, named in the comment', () => {
    const out = join(dirname(repo), 'out-expired');
    const r = spawnSync('bash', ['scripts/ci-preview.sh'], {
      cwd: repo,
      env: env({ BASE_REF: 'main~1', HEAD_REF: 'expired', BULWARK_CI_OUT: out, BULWARK_SKIP_PREVIEW: '1' }),
      encoding: 'utf8',
      timeout: 120000,
    });
    expect(r.status).toBe(1);
    const comment = readFileSync(join(out, 'comment.md'), 'utf8');
    expect(comment).toContain('### `saas`: fails at head');
    expect(comment).toContain('waiver of auth.rbac.auditors expired on 2026-10-01');
    expect(comment).not.toContain('## Pulumi preview');
  }, SLOW);

  test('ci-preview.sh: nothing touched, and missing settings', () => {
    const out = join(dirname(repo), 'out-none');
    const r = spawnSync('bash', ['scripts/ci-preview.sh'], { cwd: repo, env: env({ BASE_REF: 'main', BULWARK_CI_OUT: out }), encoding: 'utf8', timeout: 120000 });
    expect(r.status).toBe(0);
    expect(readFileSync(join(out, 'comment.md'), 'utf8')).toContain('No stack is touched by this change');
    expect(readFileSync(join(out, 'stacks.txt'), 'utf8')).toBe('');
    const bad = spawnSync('bash', ['scripts/ci-preview.sh'], { cwd: repo, env: env({ BASE_REF: '', BULWARK_CI_OUT: out }), encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('set BASE_REF');
  }, SLOW);

  test('ci-deploy.sh: pulumi up for the touched stack that opts in', () => {
    const log = join(dirname(repo), 'pulumi.log');
    writeFileSync(log, '');
    const r = spawnSync('bash', ['scripts/ci-deploy.sh'], { cwd: repo, env: env({ BASE_REF: 'main~1', HEAD_REF: 'main' }), encoding: 'utf8', timeout: 120000 });
    expect(r.status).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe(
      // `up` keeps its checkpoints: without them a killed deploy loses the record of what it changed
      'stack select --create --secrets-provider passphrase --non-interactive lab\nup --yes --diff --non-interactive --color never --stack lab --policy-pack policy\nPULUMI_SKIP_CHECKPOINTS=\n',
    );
    writeFileSync(log, '');
    // Every opted-in stack when there is no base (the first push of a branch).
    expect(spawnSync('bash', ['scripts/ci-deploy.sh'], { cwd: repo, env: env({ BASE_REF: '0000000000000000000000000000000000000000' }), encoding: 'utf8', timeout: 120000 }).status).toBe(0);
    expect(readFileSync(log, 'utf8')).toContain('--stack lab');
    expect(readFileSync(log, 'utf8')).not.toContain('--stack prod');
  }, SLOW);
});
