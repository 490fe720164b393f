/**
 * The command builders (core/talos/commands.ts): fixed scripts, values only in the environment
 * or on stdin, the talosctl CLI as documented, and the scripts' behaviour when run for real
 * (against a fake talosctl) with hostile values.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  CommandSpec, INTERPRETER, LIVE, SCRIPTS, authenticatedStdin, bootstrapCommand, bootstrapHealthCommand, durationSeconds,
  apiServerReadyCommand, kubernetesUpgradeCommand, preflightHealthCommand, provisionCommand, rebootStepCommand, resetCommand,
  nodeStepCommand,
} from '../../core/talos/commands';
import { runScript } from './fake-talosctl';
import { BOOLEAN_FLAGS, Line, SYSTEM_LABELS, TALOSCTL_FLAGS, TALOSCTL_VALUES } from './talosctl-reference';

/** A file only an executed value could create (absolute: scripts run in a directory they delete). */
const CANARY = join(mkdtempSync(join(tmpdir(), 'bulwark-canary-')), 'PWNED');
/** Fragments a shell would act on if a value ever reached a script. */
const HOSTILE = [
  `$(touch ${CANARY})`, `\`touch ${CANARY}\``, `; touch ${CANARY}`, `&& touch ${CANARY}`, `| touch ${CANARY}`, `'; touch ${CANARY}; '`,
  `"; touch ${CANARY}; "`, `\ntouch ${CANARY}\n`, '$HOME', '${PATH}', '*', '../..', '-rf', '--insecure', '\\', "'", '"', '\r\n', ' ', '\t', '=', '%s%n',
];
/** Any string an environment variable can hold (no NUL), biased towards hostile fragments. */
const hostile = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'grapheme', maxLength: 12 })), { minLength: 1, maxLength: 5 })
  .map((parts) => parts.join('').replace(/\0/g, ''));
const anyText = fc.string({ unit: 'grapheme', maxLength: 200 });

/** Every builder, driven by the same arbitrary values. */
function builders(v: string[]): { name: string; spec: CommandSpec; values: Record<string, string> }[] {
  const [a, b, c, d, e] = v;
  const gate = { healthNode: d, timeout: e };
  return [
    { name: 'provision', spec: provisionCommand({ address: a }), values: { BULWARK_NODE: a } },
    {
      name: 'node-step',
      spec: nodeStepCommand({ address: a, installer: e, configDigest: b, rebootDigest: c, ...gate }),
      values: { BULWARK_NODE: a, BULWARK_INSTALLER: e, BULWARK_CONFIG_DIGEST: b, BULWARK_REBOOT_DIGEST: c, BULWARK_HEALTH_NODE: d, BULWARK_TIMEOUT: e },
    },
    { name: 'reboot', spec: rebootStepCommand({ address: a, rebootDigest: c, ...gate }), values: { BULWARK_NODE: a, BULWARK_REBOOT_DIGEST: c, BULWARK_HEALTH_NODE: d, BULWARK_TIMEOUT: e } },
    { name: 'preflight', spec: preflightHealthCommand({ target: a, timeout: e, step: b }), values: { BULWARK_NODE: a, BULWARK_TIMEOUT: e, BULWARK_STEP: b } },
    {
      name: 'bootstrap-health',
      spec: bootstrapHealthCommand({ target: a, timeout: e, controlPlanes: [b, c], workers: [d] }),
      values: { BULWARK_NODE: a, BULWARK_TIMEOUT: e, BULWARK_CONTROL_PLANE_NODES: `${b},${c}`, BULWARK_WORKER_NODES: d },
    },
    { name: 'bootstrap', spec: bootstrapCommand({ target: a, waitSeconds: 60 }), values: { BULWARK_NODE: a, BULWARK_WAIT_SECONDS: '60' } },
    { name: 'api-server-ready', spec: apiServerReadyCommand({ target: a, waitSeconds: 60 }), values: { BULWARK_NODE: a, BULWARK_WAIT_SECONDS: '60' } },
    { name: 'k8s-upgrade', spec: kubernetesUpgradeCommand({ target: a, version: b, timeout: e }), values: { BULWARK_NODE: a, BULWARK_KUBERNETES_VERSION: b.replace(/^v/, ''), BULWARK_HEALTH_NODE: a, BULWARK_TIMEOUT: e } },
    { name: 'reset', spec: resetCommand({ address: a, graceful: true }), values: { BULWARK_NODE: a, BULWARK_GRACEFUL: 'true' } },
  ];
}

const FIXED = new Set<string>(Object.values(SCRIPTS));

describe('scripts are fixed; values travel only in the environment', () => {
  test('for any values, every create/update/delete is one of the fixed scripts and the environment carries the values verbatim', () => {
    const snapshot = builders(['n', 'i', 'r', 'h', '1m']).map((b) => [b.spec.create, b.spec.update, b.spec.delete]);
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 5, maxLength: 5 }), (v) => {
        builders(v).forEach((b, i) => {
          for (const [k, script] of [['create', b.spec.create], ['update', b.spec.update], ['delete', b.spec.delete]] as const) {
            if (script === undefined) continue;
            expect(FIXED.has(script)).toBe(true);
            // identical to what the builder returns for harmless values: nothing of v is in it
            expect(script).toBe(snapshot[i][['create', 'update', 'delete'].indexOf(k)]);
          }
          expect(b.spec.environment).toEqual(b.values);
        });
      }),
      { numRuns: 300 },
    );
  });

  test('every value a script reads is a double-quoted "$BULWARK_…" expansion (never word-split, never re-parsed)', () => {
    for (const [name, script] of Object.entries(SCRIPTS))
      for (const line of script.split('\n')) {
        let quote: '' | "'" | '"' = '';
        for (let i = 0; i < line.length; i++) {
          const ch = line[i];
          if (quote === "'") {
            if (ch === "'") quote = '';
            continue;
          }
          if (ch === '\\') {
            i++;
            continue;
          }
          if (ch === '#' && quote === '' && (i === 0 || /\s/.test(line[i - 1]))) break;
          if (ch === "'" && quote === '') quote = "'";
          else if (ch === '"') quote = quote === '"' ? '' : '"';
          else if (ch === '$' && /^\{?(BULWARK_|PULUMI_COMMAND)/.test(line.slice(i + 1)) && quote !== '"')
            throw new Error(`${name}: unquoted expansion in: ${line}`);
        }
      }
  });

  test('scripts contain no interpolation artefacts and run under POSIX sh', () => {
    expect(INTERPRETER).toEqual(['/bin/sh', '-c']);
    for (const script of FIXED) {
      expect(script).not.toMatch(/undefined|\[object Object\]|NaN/);
      expect(script.startsWith('#') || script.startsWith('set -eu')).toBe(true);
    }
  });

  test('stdin framing: any talosconfig and payload come back out exactly', () => {
    fc.assert(
      fc.property(anyText, anyText, (tc, payload) => {
        const stdin = authenticatedStdin(tc, payload);
        const nl = stdin.indexOf('\n');
        expect(Buffer.from(stdin.slice(0, nl), 'base64').toString('utf8')).toBe(tc);
        expect(stdin.slice(nl + 1)).toBe(payload);
      }),
    );
  });

  test('durations and versions', () => {
    expect(durationSeconds('10m')).toBe(600);
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(durationSeconds('45s')).toBe(45);
    expect(kubernetesUpgradeCommand({ target: 'x', version: 'v1.36.4', timeout: '1m' }).environment.BULWARK_KUBERNETES_VERSION).toBe('1.36.4');
  });
});

/** talosctl invocations in a script: argv as the shell would pass it (variables left as "$NAME"). */
function invocations(script: string): string[][] {
  const out: string[][] = [];
  for (const raw of script.split('\n')) {
    // a command word: not in a comment, not inside quotes (an error message that names talosctl)
    const at = raw.indexOf('talosctl ');
    const before = raw.slice(0, Math.max(at, 0));
    if (at < 0 || raw.trimStart().startsWith('#') || (before.split("'").length - 1) % 2 || (before.split('"').length - 1) % 2) continue;
    const tokens: string[] = [];
    let cur = '';
    let quote = '';
    for (const ch of raw.slice(at)) {
      if (quote) {
        if (ch === quote) quote = '';
        else cur += ch;
      } else if (ch === '"' || ch === "'") quote = ch;
      else if (/\s/.test(ch)) {
        if (cur) tokens.push(cur);
        cur = '';
      } else cur += ch;
    }
    if (cur) tokens.push(cur);
    const end = tokens.findIndex((t) => /^(>|>&2|2>&1|;|\||&&|then)$/.test(t) || t.startsWith('>'));
    out.push(end < 0 ? tokens : tokens.slice(0, end));
  }
  return out;
}

describe('talosctl is run as documented (talosctl CLI reference, v1.13 and v1.14)', () => {
  const all = Object.entries(SCRIPTS).flatMap(([name, s]) => invocations(s).map((argv) => ({ name, argv })));

  test('the subcommands Bulwark runs', () => {
    expect([...new Set(all.map((c) => c.argv[1]))].sort()).toEqual(['apply-config', 'bootstrap', 'etcd', 'get', 'health', 'reboot', 'reset', 'upgrade', 'upgrade-k8s']);
  });

  test.each(['1.13', '1.14'] as Line[])('every flag and enumerated value is documented for Talos %s', (line) => {
    for (const { name, argv } of all) {
      const sub = argv[1];
      const documented = TALOSCTL_FLAGS[line][sub];
      expect(documented).toBeDefined();
      for (let i = 2; i < argv.length; i++) {
        const t = argv[i];
        if (!t.startsWith('-') || t === '-') continue; // positional (`kubeconfig -`: stdout)
        expect(t.startsWith('--')).toBe(true); // long flags only: readable in review
        const [flag, inline] = t.slice(2).split('=', 2) as [string, string | undefined];
        if (!documented.includes(flag)) throw new Error(`${name}: talosctl ${sub} --${flag} is not documented for Talos ${line}`);
        const value = BOOLEAN_FLAGS.has(flag) ? inline : (inline ?? argv[++i]);
        if (BOOLEAN_FLAGS.has(flag) && inline !== undefined && !inline.startsWith('$')) expect(['true', 'false']).toContain(inline);
        const allowed = TALOSCTL_VALUES[line][`${sub} --${flag}`];
        if (allowed && value !== undefined && !value.startsWith('$')) expect(allowed).toContain(value);
        if (flag === 'system-labels-to-wipe') expect(SYSTEM_LABELS).toContain(value);
      }
    }
  });

  test('apply-config: --insecure only for the first apply, authenticated with --talosconfig otherwise; modes no-reboot and staged', () => {
    const applies = all.filter((c) => c.argv[1] === 'apply-config');
    expect(applies.filter((c) => c.argv.includes('--insecure')).map((c) => c.name)).toEqual(['provision']);
    for (const c of applies) expect(c.argv.includes('--insecure')).toBe(!c.argv.includes('--talosconfig'));
    const modes = applies.flatMap((c) => (c.argv.includes('--mode') ? [c.argv[c.argv.indexOf('--mode') + 1]] : []));
    expect(modes.sort()).toEqual(['no-reboot', 'staged']);
  });

  test('reset wipes only STATE and EPHEMERAL of the system disk and reboots into maintenance', () => {
    const [reset] = all.filter((c) => c.argv[1] === 'reset').map((c) => c.argv);
    expect(reset).toEqual([
      'talosctl', 'reset', '--talosconfig', 'talosconfig', '--nodes', '$BULWARK_NODE', '--graceful=$BULWARK_GRACEFUL', '--reboot', '--wait',
      '--wipe-mode', 'system-disk', '--system-labels-to-wipe', 'STATE', '--system-labels-to-wipe', 'EPHEMERAL',
    ]);
  });
});

/** Runs a spec's script for real, with the fake talosctl. */
function run(spec: CommandSpec, which: 'create' | 'update' | 'delete', stdin: string, extra: Record<string, string> = {}) {
  return runScript(spec[which]!, spec.environment, stdin, extra);
}

const TALOSCONFIG = 'context: c\ncontexts:\n  c:\n    endpoints: [10.0.0.1]\n    key: SECRET-KEY\n';

describe('the scripts, run for real against a fake talosctl', () => {
  test('hostile values arrive as single argv entries, execute nothing, and secrets reach talosctl only as 0600 files that are removed', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, anyText, (addr, installer, healthNode, config) => {
        const gate = { healthNode, timeout: '1m' };
        const checks: [CommandSpec, 'create' | 'update' | 'delete', string, string[][]][] = [
          [provisionCommand({ address: addr }), 'create', `${config}\n`, [['apply-config', '--insecure', '--nodes', addr, '--file', 'machineconfig.yaml']]],
          [
            nodeStepCommand({ address: addr, installer, configDigest: 'c2', rebootDigest: LIVE, ...gate }),
            'update',
            authenticatedStdin(TALOSCONFIG, `${config}\n`),
            [
              ['upgrade', '--talosconfig', 'talosconfig', '--nodes', addr, '--image', installer, '--wait'],
              ['apply-config', '--talosconfig', 'talosconfig', '--nodes', addr, '--mode', 'no-reboot', '--file', 'machineconfig.yaml'],
              ['health', '--talosconfig', 'talosconfig', '--nodes', healthNode, '--wait-timeout', '1m'],
            ],
          ],
          [resetCommand({ address: addr, graceful: false }), 'delete', authenticatedStdin(TALOSCONFIG), [[
            'reset', '--talosconfig', 'talosconfig', '--nodes', addr, '--graceful=false', '--reboot', '--wait', '--wipe-mode', 'system-disk',
            '--system-labels-to-wipe', 'STATE', '--system-labels-to-wipe', 'EPHEMERAL',
          ]]],
        ];
        for (const [spec, which, stdin, expected] of checks) {
          const r = run(spec, which, stdin, { PULUMI_COMMAND_STDOUT: 'installer=something-else' });
          expect(r.status).toBe(0);
          expect(r.calls.map((c) => c.argv)).toEqual(expected);
          expect(existsSync(CANARY)).toBe(false);
          for (const call of r.calls) {
            for (const f of Object.values(call.files)) expect(f.mode).toBe('600');
            expect(existsSync(call.cwd)).toBe(false); // the private work directory is gone
          }
          if (which === 'create') expect(r.calls[0].files['--file'].content).toBe(`${config}\n`);
          else expect(r.calls[0].files['--talosconfig'].content).toBe(TALOSCONFIG);
          const apply = r.calls.find((c) => c.argv[0] === 'apply-config' && which === 'update');
          if (apply) expect(apply.files['--file'].content).toBe(`${config}\n`);
        }
      }),
      { numRuns: 25 },
    );
  });

  test('node step: records on create; on update upgrades Talos when the installer changed, then applies a changed configuration, then one health gate', () => {
    const spec = nodeStepCommand({ address: '10.0.0.5', installer: 'img:v2', configDigest: 'cfg2', rebootDigest: 'rb1', healthNode: '10.0.0.1', timeout: '5m' });
    const stdin = authenticatedStdin(TALOSCONFIG, 'machine: {}\n');
    const record = 'installer=img:v2\nconfig=cfg2\nreboot-digest=rb1\n';
    const created = run(spec, 'create', stdin);
    expect(created.calls).toEqual([]);
    expect(created.stdout).toBe(record);

    // configuration only: no-reboot apply, then the gate
    const live = run(spec, 'update', stdin, { PULUMI_COMMAND_STDOUT: 'installer=img:v2\nconfig=cfg1\nreboot-digest=rb1' });
    expect(live.calls.map((c) => c.argv.slice(0, 7))).toEqual([
      ['apply-config', '--talosconfig', 'talosconfig', '--nodes', '10.0.0.5', '--mode', 'no-reboot'],
      ['health', '--talosconfig', 'talosconfig', '--nodes', '10.0.0.1', '--wait-timeout', '5m'],
    ]);
    expect(live.calls[0].files['--file']).toEqual({ mode: '600', content: 'machine: {}\n' });
    expect(live.stdout).toBe(record);

    // Talos and configuration: upgrade first (the configuration may use what the new Talos brings), one gate at the end
    const both = run(spec, 'update', stdin, { PULUMI_COMMAND_STDOUT: 'installer=img:v1\nconfig=cfg1\nreboot-digest=rb1' });
    expect(both.calls.map((c) => c.argv[0])).toEqual(['upgrade', 'apply-config', 'health']);
    expect(both.calls[0].argv).toEqual(['upgrade', '--talosconfig', 'talosconfig', '--nodes', '10.0.0.5', '--image', 'img:v2', '--wait']);

    // Talos only: upgrade, gate, nothing applied
    expect(run(spec, 'update', stdin, { PULUMI_COMMAND_STDOUT: 'installer=img:v1\nconfig=cfg2\nreboot-digest=rb1' }).calls.map((c) => c.argv[0])).toEqual(['upgrade', 'health']);

    // reboot fields changed (1.13): staged, no gate here: the reboot step reboots into it, then checks
    const staged = run(spec, 'update', stdin, { PULUMI_COMMAND_STDOUT: 'installer=img:v2\nconfig=cfg1\nreboot-digest=rb0' });
    expect(staged.calls.map((c) => c.argv[6])).toEqual(['staged']);

    expect(run(spec, 'update', stdin, { PULUMI_COMMAND_STDOUT: record }).calls).toEqual([]);

    const onLive = run(nodeStepCommand({ address: 'n', installer: 'i', configDigest: 'c2', rebootDigest: LIVE, healthNode: 'h', timeout: '1m' }), 'update', stdin, {
      PULUMI_COMMAND_STDOUT: 'installer=i\nconfig=c1\nreboot-digest=abc',
    });
    expect(onLive.calls.map((c) => c.argv[0])).toEqual(['apply-config', 'health']);
    expect(onLive.calls[0].argv[6]).toBe('no-reboot');
  });

  test('reboot step reboots (then gates) only when the reboot digest changed, never on a live line', () => {
    const stdin = authenticatedStdin(TALOSCONFIG);
    const spec = rebootStepCommand({ address: 'n1', rebootDigest: 'rb2', healthNode: 'cp1', timeout: '2m' });
    expect(run(spec, 'create', stdin).stdout).toBe('reboot-digest=rb2\n');
    expect(run(spec, 'update', stdin, { PULUMI_COMMAND_STDOUT: 'reboot-digest=rb2' }).calls).toEqual([]);
    expect(run(spec, 'update', stdin, { PULUMI_COMMAND_STDOUT: 'reboot-digest=rb1' }).calls.map((c) => c.argv)).toEqual([
      ['reboot', '--talosconfig', 'talosconfig', '--nodes', 'n1', '--drain', '--wait'],
      ['health', '--talosconfig', 'talosconfig', '--nodes', 'cp1', '--wait-timeout', '2m'],
    ]);
    expect(run(rebootStepCommand({ address: 'n1', rebootDigest: LIVE, healthNode: 'cp1', timeout: '2m' }), 'update', stdin, { PULUMI_COMMAND_STDOUT: 'reboot-digest=x' }).calls).toEqual([]);
  });

  test('the Kubernetes upgrade acts only when its version changed, and says what to do when the running Talos refuses it', () => {
    const stdin = authenticatedStdin(TALOSCONFIG);
    const k8s = kubernetesUpgradeCommand({ target: 'cp1', version: 'v1.36.4', timeout: '1m' });
    expect(run(k8s, 'update', stdin, { PULUMI_COMMAND_STDOUT: 'kubernetes=1.36.4' }).calls).toEqual([]);
    const moved = run(k8s, 'update', stdin, { PULUMI_COMMAND_STDOUT: 'kubernetes=1.35.2' });
    expect(moved.calls.map((c) => c.argv)).toEqual([
      ['upgrade-k8s', '--talosconfig', 'talosconfig', '--nodes', 'cp1', '--to', '1.36.4'],
      ['health', '--talosconfig', 'talosconfig', '--nodes', 'cp1', '--wait-timeout', '1m'],
    ]);
    expect(moved.stdout).toBe('kubernetes=1.36.4\n');
    const refused = run(k8s, 'update', stdin, { PULUMI_COMMAND_STDOUT: 'kubernetes=1.35.2', FAKE_EXIT: '1' });
    expect(refused.status).toBe(1);
    expect(refused.calls.map((c) => c.argv[0])).toEqual(['upgrade-k8s']); // no health gate, no record
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('roll out talosVersion first');
  });

  test('bootstrap: retries until the node answers, treats AlreadyExists as done, refuses a non-numeric wait', () => {
    const stdin = authenticatedStdin(TALOSCONFIG);
    const ok = run(bootstrapCommand({ target: 'cp1', waitSeconds: 5 }), 'create', stdin);
    expect(ok.status).toBe(0);
    expect(ok.calls.map((c) => c.argv)).toEqual([['bootstrap', '--talosconfig', 'talosconfig', '--nodes', 'cp1']]);
    const again = run(bootstrapCommand({ target: 'cp1', waitSeconds: 5 }), 'create', stdin, { FAKE_BOOTSTRAP_ERROR: 'rpc error: code = AlreadyExists desc = etcd data directory is not empty' });
    expect(again.status).toBe(0);
    const hostileWait = runScript(SCRIPTS.bootstrap, { BULWARK_NODE: 'cp1', BULWARK_WAIT_SECONDS: `a[$(touch ${CANARY})]` }, stdin);
    expect(hostileWait.status).toBe(2);
    expect(hostileWait.calls).toEqual([]);
    expect(existsSync(CANARY)).toBe(false);
  });

  test('a failed apply shows talosctl\'s error but withholds the configuration diff (it can hold secrets)', () => {
    const output = 'error applying new configuration: rpc error: code = InvalidArgument desc = this config change can\'t be applied in immediate mode\ndiff:\n-    token: OLD-SECRET-TOKEN\n+    token: NEW-SECRET-TOKEN';
    for (const [spec, which, stdin] of [
      [provisionCommand({ address: 'n' }), 'create', 'machine: {}\n'],
      [nodeStepCommand({ address: 'n', installer: 'i', configDigest: 'c2', rebootDigest: LIVE, healthNode: 'h', timeout: '1m' }), 'update', authenticatedStdin(TALOSCONFIG, 'machine: {}\n')],
    ] as const) {
      const r = run(spec, which, stdin, { FAKE_EXIT: '1', FAKE_APPLY_OUTPUT: output, PULUMI_COMMAND_STDOUT: 'installer=i\nconfig=c1' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("can't be applied in immediate mode");
      expect(r.stderr).toContain('withheld');
      expect(r.stderr + r.stdout).not.toContain('SECRET-TOKEN');
      expect(r.calls).toHaveLength(1); // no health check after a failed apply
    }
  });

  test('an update of the first apply runs nothing (no configuration over the maintenance API once configured)', () => {
    const r = run(provisionCommand({ address: '10.0.0.9' }), 'update', 'machine: {}\n');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([]);
  });

  test('reset refuses anything but true/false for --graceful', () => {
    const r = runScript(SCRIPTS.reset, { BULWARK_NODE: 'n', BULWARK_GRACEFUL: 'true --wipe-mode all' }, authenticatedStdin(TALOSCONFIG));
    expect(r.status).toBe(2);
    expect(r.calls).toEqual([]);
  });

  test('a command missing its talosconfig fails before talosctl runs', () => {
    const r = run(nodeStepCommand({ address: 'n', installer: 'i', configDigest: 'c', rebootDigest: LIVE, healthNode: 'h', timeout: '1m' }), 'update', '');
    expect(r.status).toBe(2);
    expect(r.calls).toEqual([]);
  });

  test('health after bootstrap names the declared nodes; an empty worker list is left out', () => {
    const stdin = authenticatedStdin(TALOSCONFIG);
    const withWorkers = run(bootstrapHealthCommand({ target: 'cp1', timeout: '10m', controlPlanes: ['cp1', 'cp2'], workers: ['w1'] }), 'create', stdin);
    expect(withWorkers.calls[0].argv).toEqual([
      'health', '--talosconfig', 'talosconfig', '--nodes', 'cp1', '--wait-timeout', '10m', '--control-plane-nodes', 'cp1,cp2', '--worker-nodes', 'w1',
    ]);
    const cpOnly = run(bootstrapHealthCommand({ target: 'cp1', timeout: '10m', controlPlanes: ['cp1'], workers: [] }), 'create', stdin);
    expect(cpOnly.calls[0].argv).toEqual(['health', '--talosconfig', 'talosconfig', '--nodes', 'cp1', '--wait-timeout', '10m', '--control-plane-nodes', 'cp1']);
  });

  test('the API-server wait (cni: cilium) passes once the kube-apiserver static pod is Ready, and gives up at its bound', () => {
    const ready = run(apiServerReadyCommand({ target: 'cp1', waitSeconds: 60 }), 'create', authenticatedStdin(TALOSCONFIG));
    expect(ready.status).toBe(0);
    expect(ready.calls[0].argv).toEqual(['get', 'staticpodstatus', '--talosconfig', 'talosconfig', '--nodes', 'cp1']);
    const notReady = run(apiServerReadyCommand({ target: 'cp1', waitSeconds: 0 }), 'create', authenticatedStdin(TALOSCONFIG), { FAKE_APISERVER_READY: 'False' });
    expect(notReady.status).toBe(1);
    expect(notReady.stderr).toContain('kube-apiserver did not become ready in time');
  });

});

describe('first apply: trust in maintenance mode (bulwark:nodes[i].certFingerprint)', () => {
  const FP = 'KvsfGEPW7NiMFLqtj7o0cVMXvkWeOUjLjctjgs2zqI4=';

  test('with a fingerprint, talosctl checks the maintenance certificate before it sends anything (--cert-fingerprint, documented for 1.13 and 1.14)', () => {
    const spec = provisionCommand({ address: '10.0.0.9', certFingerprint: FP });
    expect(spec.environment).toEqual({ BULWARK_NODE: '10.0.0.9', BULWARK_CERT_FINGERPRINT: FP });
    expect(spec.create).toBe(SCRIPTS.provision); // still the one fixed script: the value is in the environment only
    const r = run(spec, 'create', 'machine: {}\n');
    expect(r.status).toBe(0);
    expect(r.calls.map((c) => c.argv)).toEqual([['apply-config', '--insecure', '--nodes', '10.0.0.9', '--cert-fingerprint', FP, '--file', 'machineconfig.yaml']]);
    for (const line of ['1.13', '1.14'] as Line[]) expect(TALOSCTL_FLAGS[line]['apply-config']).toContain('cert-fingerprint');
  });

  test('without one, the first apply is as before (the trust-on-first-use case docs/operations.md describes)', () => {
    const r = run(provisionCommand({ address: '10.0.0.9' }), 'create', 'machine: {}\n');
    expect(r.calls.map((c) => c.argv)).toEqual([['apply-config', '--insecure', '--nodes', '10.0.0.9', '--file', 'machineconfig.yaml']]);
  });

  test('a fingerprint that is not base64 stops the script before talosctl runs', () => {
    fc.assert(
      fc.property(hostile.filter((v) => /[^A-Za-z0-9+/=]/.test(v)), (bad) => {
        const r = run(provisionCommand({ address: '10.0.0.9', certFingerprint: bad }), 'create', 'machine: {}\n');
        expect(r.status).toBe(2);
        expect(r.calls).toEqual([]);
        expect(existsSync(CANARY)).toBe(false);
      }),
      { numRuns: 40 },
    );
  });
});
