/**
 * Posture diff: example stacks copied into temporary checkouts and changed (profile, waiver
 * added, waiver expired, tenant added, stack added and removed), read as directories and as git
 * revisions. Also: the posture CLI, that posture does not depend on secret values, that no
 * secret reaches a diff, and that an expired waiver fails validation and render by name.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { main as postureMain, run as postureRun } from '../cli/posture';
import { main as diffMain, postureDiff, run as diffRun } from '../cli/posture-diff';
import { run as renderRun } from '../cli/render';
import { writeSecretsFile } from '../cli/secrets-file';
import { CATALOGUE } from '../core/controls/catalogue';
import { caAgeReport } from '../core/posture/ca-age';
import { postureDiffMarkdown } from '../core/posture/diff';
import { postureMarkdown } from '../core/posture/report';
import { renderStack } from '../core/render/index';
import { fromB64 } from '../core/secrets/bundle';
import type { SecretsBundle } from '../core/secrets/bundle';
import { generateSecrets } from '../core/secrets/generate';
import { REPO_ROOT, loadStack, today } from '../core/stack';
import { EXAMPLES, TODAY, cisChecks, example, testSecrets } from './helpers';

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'bulwark-diff-test-'));
  temps.push(d);
  return d;
}

type Config = Record<string, unknown>;

/** A checkout (stacks/ and profiles/) copied from the repository, with stack files changed by `edit`. */
function checkout(edit: Record<string, ((config: Config) => void) | null> = {}, root = tempDir()): string {
  // the example stacks only: a user's own stack in stacks/ must not change what these tests count
  mkdirSync(join(root, 'stacks'), { recursive: true });
  for (const name of EXAMPLES) cpSync(join(REPO_ROOT, 'stacks', `Pulumi.${name}.yaml`), join(root, 'stacks', `Pulumi.${name}.yaml`));
  cpSync(join(REPO_ROOT, 'profiles'), join(root, 'profiles'), { recursive: true });
  for (const [stack, change] of Object.entries(edit)) {
    const file = join(root, 'stacks', `Pulumi.${stack}.yaml`);
    if (change === null) {
      rmSync(file);
      continue;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      text = readFileSync(join(REPO_ROOT, 'stacks', 'Pulumi.lab.yaml'), 'utf8');
    }
    const doc = parseDocument(text);
    const config = doc.toJS().config as Config;
    change(config);
    doc.set('config', doc.createNode(config));
    writeFileSync(file, doc.toString());
  }
  return root;
}

const PIDS_WAIVER = { control: 'k8s.kubelet.pod-pids-limit', reason: 'bursty batch jobs fork thousands of short-lived processes', expires: '2027-01-31' };
const EXPIRED_AUTH_WAIVER = { control: 'auth.rbac.auditors', reason: 'the auditors group is not provisioned in the IdP yet', expires: '2026-10-01' };

let secrets: SecretsBundle;
let cis: ReturnType<typeof cisChecks>;
beforeAll(async () => {
  secrets = await testSecrets();
  cis = cisChecks();
});

const diff = (base: string, head: string, stacks?: string[]) =>
  postureDiff({ base, head, stacks, secrets, cis, today: TODAY, labels: { base: 'main', head: 'pr' } });

describe('posture diff between checkouts', () => {
  test('no change: every stack unchanged', async () => {
    const base = checkout();
    const d = await diff(base, checkout());
    expect(d.summary).toEqual({ stacks: 5, unchanged: 5 });
    expect(d.stacks.map((s) => [s.stack, s.verdict])).toEqual([
      ['airgap', 'unchanged'],
      ['edge-store', 'unchanged'],
      ['lab', 'unchanged'],
      ['prod', 'unchanged'],
      ['saas', 'unchanged'],
    ]);
    expect(postureDiffMarkdown(d)).toBe(
      ['## Bulwark posture diff', '', 'Base `main` → head `pr`: 5 stacks (5 unchanged).', '', 'No posture change: `airgap`, `edge-store`, `lab`, `prod`, `saas`.', ''].join('\n'),
    );
  });

  test('waiver added and tenant added: the full Markdown comment', async () => {
    const head = checkout({
      lab: (c) => {
        c['bulwark:waivers'] = [PIDS_WAIVER];
        (c['bulwark:tenants'] as unknown[]).push({ name: 'data', groups: ['lab-data'] });
      },
    });
    const d = await diff(checkout(), head);
    // What the catalogue owns (counts, the control's title) comes from it; the rest is literal.
    const n = renderStack(example('lab'), secrets, { cis }).posture.summary;
    const title = CATALOGUE.find((c) => c.id === PIDS_WAIVER.control)!.title;
    expect(postureDiffMarkdown(d)).toBe(`## Bulwark posture diff

Base \`main\` → head \`pr\`: 5 stacks (1 weaker, 4 unchanged).

### \`lab\`: weaker

- Controls: ${n.enforced} → ${n.enforced - 1} enforced, ${n.waived} → ${n.waived + 1} waived, ${n.notRequired} not required, ${n.notApplicable} not applicable

**No longer enforced (1)**

| Control | Layer | Before | After | Title |
|---|---|---|---|---|
| \`k8s.kubelet.pod-pids-limit\` | kubernetes | enforced | waived | ${title} |

**Newly waived (1)**

- \`k8s.kubelet.pod-pids-limit\` (kubernetes), by stack, expires 2027-01-31: bursty batch jobs fork thousands of short-lived processes

**CIS Kubernetes Benchmark 1.12 (1 changed)**

| Check | Before | After | Text |
|---|---|---|---|
| 4.2.13 | pass | waived | Ensure that a limit is set on pod PIDs (Manual) |

**Tenants:** added \`data\`

**Nodes (2)**

- configuration change applied live (no reboot): \`lab-cp-1\`, \`lab-worker-1\`

No posture change: \`airgap\`, \`edge-store\`, \`prod\`, \`saas\`.
`);
  });

  test('profile change: prod from multi-team to single-team is weaker', async () => {
    // staging: a production stack on single-team is failing (below its minimum profile), test/cli/diff.test.ts
    const staging = (c: Config) => ((c['bulwark:operations'] as Record<string, unknown>).environment = 'staging');
    const d = await diff(checkout({ prod: staging }), checkout({ prod: (c) => (staging(c), (c['bulwark:profile'] = 'single-team')) }), ['prod']);
    expect(d.summary).toEqual({ stacks: 1, weaker: 1 });
    const s = d.stacks[0];
    expect({
      stack: s.stack,
      verdict: s.verdict,
      settings: s.settings,
      controls: s.controls.map(({ control, from, to, change }) => ({ control, from, to, change })),
      waivers: { added: s.waivers.added.map(({ control, by, expires }) => ({ control, by, expires })), removed: s.waivers.removed, changed: s.waivers.changed },
      cis: s.cis.map(({ check, from, to }) => ({ check, from, to })),
      tenants: s.tenants,
      failures: s.failures,
    }).toEqual({
      stack: 'prod',
      verdict: 'weaker',
      settings: [{ setting: 'profile', from: 'multi-team', to: 'single-team' }],
      controls: [
        { control: 'os.kernel.kspp-boot-args', from: 'enforced', to: 'not-required', change: 'no-longer-enforced' },
        { control: 'k8s.apiserver.always-pull-images', from: 'enforced', to: 'waived', change: 'no-longer-enforced' },
        { control: 'k8s.apiserver.kubelet-https', from: 'enforced', to: 'waived', change: 'no-longer-enforced' },
        { control: 'k8s.kubelet.serving-certificates', from: 'enforced', to: 'waived', change: 'no-longer-enforced' },
        { control: 'tenancy.network.default-deny', from: 'enforced', to: 'not-required', change: 'no-longer-enforced' },
        { control: 'tenancy.quota.defaults', from: 'enforced', to: 'not-required', change: 'no-longer-enforced' },
        { control: 'tenancy.admission.service-types', from: 'enforced', to: 'not-required', change: 'no-longer-enforced' },
        { control: 'tenancy.admission.dedicated-nodes', from: 'not-applicable', to: 'not-required', change: 'status-changed' },
        { control: 'tenancy.admission.node-isolation', from: 'enforced', to: 'not-required', change: 'no-longer-enforced' },
      ],
      waivers: {
        added: [
          { control: 'k8s.apiserver.always-pull-images', by: 'profile single-team', expires: null },
          { control: 'k8s.apiserver.kubelet-https', by: 'profile single-team', expires: null },
          { control: 'k8s.kubelet.serving-certificates', by: 'profile single-team', expires: null },
        ],
        removed: [],
        changed: [],
      },
      cis: [
        { check: '1.2.5', from: 'pass', to: 'waived' },
        { check: '1.2.11', from: 'pass', to: 'waived' },
      ],
      tenants: { added: [], removed: [] },
      failures: [],
    });
    expect(s.base).toMatchObject({ state: 'ok', profile: 'multi-team', cisEvaluated: true });
    expect(s.head).toMatchObject({ state: 'ok', profile: 'single-team', cisEvaluated: true });
  });

  test('expired waiver: the stack fails at head, named in the diff, and the others still diff', async () => {
    const d = await diff(checkout(), checkout({ saas: (c) => (c['bulwark:waivers'] = [EXPIRED_AUTH_WAIVER]) }));
    expect(d.summary).toEqual({ stacks: 5, failing: 1, unchanged: 4 });
    const s = d.stacks[0];
    expect(s).toMatchObject({
      stack: 'saas',
      verdict: 'failing',
      base: { state: 'ok', profile: 'hostile-multi-tenant' },
      head: { state: 'invalid' },
      failures: [
        {
          side: 'head',
          problems: [
            {
              path: 'bulwark:waivers[0].expires',
              message: 'waiver of auth.rbac.auditors expired on 2026-10-01; renew it with a new date and reason, or remove it so the control applies again',
            },
          ],
        },
      ],
      controls: [],
      cis: [],
    });
    const md = postureDiffMarkdown(d);
    expect(md).toContain(
      [
        '### `saas`: fails at head',
        '',
        'The head revision of this stack does not render, so `pulumi preview` and `pulumi up` stop on it:',
        '',
        '- `bulwark:waivers[0].expires`: waiver of auth.rbac.auditors expired on 2026-10-01; renew it with a new date and reason, or remove it so the control applies again',
      ].join('\n'),
    );
  });

  test('expired at base and head, and expired at base only', async () => {
    const expired = checkout({ saas: (c) => (c['bulwark:waivers'] = [EXPIRED_AUTH_WAIVER]) });
    const both = await diff(expired, expired, ['saas']);
    expect(both.stacks[0]).toMatchObject({ verdict: 'failing', base: { state: 'invalid' }, head: { state: 'invalid' } });
    expect(both.stacks[0].failures.map((f) => f.side)).toEqual(['base', 'head']);
    expect(postureDiffMarkdown(both)).toContain('### `saas`: fails at base and head');

    const fixed = await diff(expired, checkout(), ['saas']);
    expect(fixed.stacks[0]).toMatchObject({ verdict: 'fixed', base: { state: 'invalid' }, head: { state: 'ok' } });
    expect(postureDiffMarkdown(fixed)).toContain('### `saas`: renders again');
  });

  test('tenant added and removed: changed, nothing else moves', async () => {
    const head = checkout({
      prod: (c) => {
        const tenants = c['bulwark:tenants'] as { name: string }[];
        c['bulwark:tenants'] = [...tenants.filter((t) => t.name !== 'team-c'), { name: 'team-d', groups: ['team-d'] }];
      },
    });
    const d = await diff(checkout(), head, ['prod']);
    expect(d.stacks[0]).toMatchObject({
      stack: 'prod',
      verdict: 'changed',
      settings: [],
      controls: [],
      cis: [],
      waivers: { added: [], removed: [], changed: [] },
      tenants: { added: ['team-d'], removed: ['team-c'] },
    });
    const n = renderStack(example('prod'), secrets, { cis }).posture.summary;
    expect(postureDiffMarkdown(d)).toContain(
      `### \`prod\`: changed\n\n- Controls: ${n.enforced} enforced, ${n.waived} waived, ${n.notRequired} not required, ${n.notApplicable} not applicable\n\n**Tenants:** added \`team-d\`; removed \`team-c\`\n`,
    );
  });

  test('waiver renewed with a later expiry is weaker; an earlier one is stronger', async () => {
    const withWaiver = (expires: string) => checkout({ lab: (c) => (c['bulwark:waivers'] = [{ ...PIDS_WAIVER, expires }]) });
    const later = await diff(withWaiver('2027-01-31'), withWaiver('2027-06-30'), ['lab']);
    expect(later.stacks[0].verdict).toBe('weaker');
    expect(later.stacks[0].waivers.changed).toEqual([
      {
        control: 'k8s.kubelet.pod-pids-limit',
        from: { control: 'k8s.kubelet.pod-pids-limit', layer: 'kubernetes', by: 'stack', reason: PIDS_WAIVER.reason, expires: '2027-01-31' },
        to: { control: 'k8s.kubelet.pod-pids-limit', layer: 'kubernetes', by: 'stack', reason: PIDS_WAIVER.reason, expires: '2027-06-30' },
      },
    ]);
    expect(postureDiffMarkdown(later)).toContain('**Waivers changed (1)**\n\n- `k8s.kubelet.pod-pids-limit`: expiry 2027-01-31 → 2027-06-30');
    const earlier = await diff(withWaiver('2027-06-30'), withWaiver('2027-01-31'), ['lab']);
    expect(earlier.stacks[0].verdict).toBe('stronger');
  });

  test('waiver lifted: stronger, the control is enforced again', async () => {
    const d = await diff(checkout({ lab: (c) => (c['bulwark:waivers'] = [PIDS_WAIVER]) }), checkout(), ['lab']);
    const s = d.stacks[0];
    expect(s.verdict).toBe('stronger');
    expect(s.controls.map((c) => [c.control, c.from, c.to, c.change])).toEqual([['k8s.kubelet.pod-pids-limit', 'waived', 'enforced', 'now-enforced']]);
    expect(s.waivers.removed.map((w) => w.control)).toEqual(['k8s.kubelet.pod-pids-limit']);
    expect(s.cis.map((c) => [c.check, c.from, c.to])).toEqual([['4.2.13', 'waived', 'pass']]);
  });

  test('stack added and stack removed', async () => {
    const head = checkout({ 'lab-2': (c) => (c['bulwark:waivers'] = [PIDS_WAIVER]), 'edge-store': null });
    const d = await diff(checkout(), head);
    expect(d.summary).toEqual({ stacks: 6, added: 1, removed: 1, unchanged: 4 });
    const added = d.stacks.find((s) => s.stack === 'lab-2')!;
    expect(added).toMatchObject({ verdict: 'added', base: null, head: { state: 'ok', profile: 'single-team' }, tenants: { added: ['apps'], removed: [] } });
    expect(added.waivers.added.map((w) => `${w.control} by ${w.by}`).sort()).toEqual([
      'k8s.apiserver.always-pull-images by profile single-team',
      'k8s.apiserver.kubelet-https by profile single-team',
      'k8s.kubelet.pod-pids-limit by stack',
      'k8s.kubelet.serving-certificates by profile single-team',
    ]);
    const removed = d.stacks.find((s) => s.stack === 'edge-store')!;
    expect(removed).toMatchObject({ verdict: 'removed', head: null, tenants: { added: [], removed: ['pos'] } });
    const md = postureDiffMarkdown(d);
    const { talosVersion, contract, kubernetesVersion } = example('lab').stack.cluster;
    expect(md).toContain(`### \`lab-2\`: new stack\n\n- Profile single-team (site datacenter) · Talos ${talosVersion} (contract ${contract}) · Kubernetes ${kubernetesVersion}\n`);
    expect(md).toContain('### `edge-store`: removed\n\nThe stack file is gone. It was profile single-team+edge (site edge): ');
  });

  test('only the stacks asked for; an unknown one is refused', async () => {
    const base = checkout();
    const d = await diff(base, checkout(), ['saas', 'lab']);
    expect(d.stacks.map((s) => s.stack)).toEqual(['lab', 'saas']);
    await expect(diff(base, base, ['nope'])).rejects.toThrow('stack(s) nope are in neither');
  });

  test('user text cannot break the table or fake the comment marker', async () => {
    const reason = 'pipes | and <!-- bulwark-preview --> markers';
    const d = await diff(checkout(), checkout({ lab: (c) => (c['bulwark:waivers'] = [{ ...PIDS_WAIVER, reason }]) }), ['lab']);
    const md = postureDiffMarkdown(d);
    expect(md).not.toContain('<!--');
    expect(md).toContain('pipes \\| and &lt;!-- bulwark-preview --&gt; markers');
  });
});

describe('posture diff between git revisions', () => {
  const git = (repo: string, ...args: string[]) =>
    execFileSync('git', ['-C', repo, '-c', 'user.email=test@example.com', '-c', 'user.name=test', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' });

  let repo: string;
  beforeAll(() => {
    repo = tempDir();
    git(repo, 'init', '-q', '-b', 'main');
    checkout({}, repo);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'base');
    checkout({ lab: (c) => (c['bulwark:waivers'] = [PIDS_WAIVER]), saas: (c) => (c['bulwark:waivers'] = [EXPIRED_AUTH_WAIVER]) }, repo);
    git(repo, 'commit', '-qam', 'head');
  });

  test('reads both sides with git show, labels them with their commits', async () => {
    const d = await postureDiff({ base: 'main~1', head: 'main', repo, secrets, cis, today: TODAY });
    const base = git(repo, 'rev-parse', 'main~1').trim();
    const head = git(repo, 'rev-parse', 'main').trim();
    expect(d.base).toBe(`main~1 (${base.slice(0, 12)})`);
    expect(d.head).toBe(`main (${head.slice(0, 12)})`);
    expect(d.stacks.map((s) => [s.stack, s.verdict])).toEqual([
      ['saas', 'failing'],
      ['lab', 'weaker'],
      ['airgap', 'unchanged'],
      ['edge-store', 'unchanged'],
      ['prod', 'unchanged'],
    ]);
  });

  test('a revision against a directory, through the CLI, as JSON', async () => {
    const dir = checkout();
    let printed = '';
    const code = await diffMain(['--base', dir, '--head', 'main', '--repo', repo, '--stack', 'lab', '--format', 'json'], (s) => (printed += s));
    expect(code).toBe(0);
    const d = JSON.parse(printed);
    expect(d.base).toBe(dir);
    expect(d.stacks.map((s: { stack: string; verdict: string }) => [s.stack, s.verdict])).toEqual([['lab', 'weaker']]);
  });

  test('unknown revisions, option-like revisions and bad flags exit 2 with a message', async () => {
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await diffRun(['--base', 'no-such-branch', '--head', 'main', '--repo', repo])).toBe(2);
      expect(String(err.mock.calls.at(-1)![0])).toContain('"no-such-branch" is neither a directory nor a git revision');
      expect(await diffRun(['--base=--output=/tmp/x', '--head', 'main', '--repo', repo])).toBe(2);
      expect(String(err.mock.calls.at(-1)![0])).toContain('is neither a directory nor a git revision');
      expect(await diffRun(['--base', 'main', '--head', 'main', '--format', 'html', '--repo', repo])).toBe(2);
      expect(await diffRun(['--base', 'main'])).toBe(2);
      expect(await diffRun(['--base', 'main', '--head', 'main', '--stack', 'a b'])).toBe(2);
    } finally {
      err.mockRestore();
    }
  });
});

describe('posture carries no secret', () => {
  /** Every secret string of a bundle, as stored and decoded. */
  function secretStrings(b: SecretsBundle): string[] {
    const out: string[] = [];
    const walk = (v: unknown) => {
      if (typeof v === 'string') {
        out.push(v);
        const decoded = fromB64(v);
        if (/-----BEGIN/.test(decoded)) out.push(...decoded.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----')));
      } else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(b);
    return out.filter((s) => s.length >= 16);
  }

  test('the same posture from two different secrets bundles, for every example', async () => {
    const other = await generateSecrets(new Date('2026-06-01T00:00:00Z'));
    for (const name of EXAMPLES) {
      const v = example(name);
      const a = renderStack(v, secrets, { cis }).posture;
      const b = renderStack(v, other, { cis }).posture;
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    }
  });

  test('no secret value in posture reports or in a diff', async () => {
    const leaks = secretStrings(secrets);
    expect(leaks.length).toBeGreaterThan(10);
    const d = await diff(checkout(), checkout({ lab: (c) => (c['bulwark:waivers'] = [PIDS_WAIVER]), prod: (c) => (c['bulwark:profile'] = 'single-team') }));
    const texts = [JSON.stringify(d), postureDiffMarkdown(d), ...EXAMPLES.map((n) => JSON.stringify(renderStack(example(n), secrets, { cis }).posture))];
    for (const t of texts) for (const s of leaks) expect(t.includes(s)).toBe(false);
  });
});

describe('npm run posture', () => {
  test('prints the Markdown and JSON posture, using the stack\'s secrets.yaml when there is one', async () => {
    const out = tempDir();
    mkdirSync(join(out, 'lab'));
    writeSecretsFile(join(out, 'lab', 'secrets.yaml'), secrets);
    let md = '';
    expect(await postureMain(['--stack', 'lab', '--out', out], (s) => (md += s))).toBe(0);
    let json = '';
    expect(await postureMain(['--stack', 'lab', '--out', out, '--format', 'json'], (s) => (json += s))).toBe(0);
    // the stack's own bundle: the posture also states its CAs' ages (bulwark posture adds them, render too)
    const expected = { ...renderStack(example('lab'), secrets, { cis }).posture, certificateAuthorities: caAgeReport(secrets, today()) };
    expect(JSON.parse(json)).toEqual(expected);
    expect(md).toBe(postureMarkdown(expected));
  });

  test('invalid input exits 2 with the problem on stderr', async () => {
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await postureRun(['--stack', 'no such'])).toBe(2);
      expect(await postureRun(['--stack', 'lab', '--format', 'yaml'])).toBe(2);
      expect(await postureRun([])).toBe(2);
    } finally {
      err.mockRestore();
    }
  });
});

describe('waiver expiry', () => {
  const withWaiver = (expires: string) => {
    const dir = checkout({ saas: (c) => (c['bulwark:waivers'] = [{ ...EXPIRED_AUTH_WAIVER, expires }]) });
    return join(dir, 'stacks', 'Pulumi.saas.yaml');
  };

  test('an expired waiver fails validation, naming the waiver and its date', () => {
    expect(() => loadStack({ stackFile: withWaiver('2026-11-25'), today: TODAY })).toThrow(
      'bulwark:waivers[0].expires: waiver of auth.rbac.auditors expired on 2026-11-25; renew it with a new date and reason, or remove it so the control applies again',
    );
  });

  test('a waiver expiring today still holds; BULWARK_TODAY sets the date', () => {
    expect(loadStack({ stackFile: withWaiver(TODAY), today: TODAY }).stack.waivers[0].expires).toBe(TODAY);
    const saved = process.env.BULWARK_TODAY;
    process.env.BULWARK_TODAY = '2026-11-27';
    try {
      expect(() => loadStack({ stackFile: withWaiver(TODAY) })).toThrow(`waiver of auth.rbac.auditors expired on ${TODAY}`);
    } finally {
      if (saved === undefined) delete process.env.BULWARK_TODAY;
      else process.env.BULWARK_TODAY = saved;
    }
  });

  test('npm run render refuses it: exit 2, the waiver named on stderr, nothing written', async () => {
    const out = tempDir();
    const secretsFile = join(out, 'secrets.yaml');
    writeSecretsFile(secretsFile, secrets);
    const saved = process.env.BULWARK_TODAY;
    process.env.BULWARK_TODAY = TODAY;
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await renderRun(['--stack-file', withWaiver('2026-10-01'), '--out', out, '--secrets', secretsFile])).toBe(2);
      const message = err.mock.calls.map((c) => String(c[0])).join('');
      expect(message).toContain('stack "saas" is invalid (1 problem):');
      expect(message).toContain('waiver of auth.rbac.auditors expired on 2026-10-01');
      expect(() => readFileSync(join(out, 'saas', 'posture.json'))).toThrow();
    } finally {
      err.mockRestore();
      if (saved === undefined) delete process.env.BULWARK_TODAY;
      else process.env.BULWARK_TODAY = saved;
    }
  });
});
