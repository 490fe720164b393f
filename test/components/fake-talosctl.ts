/**
 * A fake `talosctl` for running Bulwark's fixed scripts for real: it records each invocation's
 * argv (NUL-separated, so any value survives), the mode and content of the files it was handed
 * (--file, --talosconfig) and the directory it ran in, and answers like talosctl would where the
 * scripts read its output (kubeconfig, bootstrap).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FAKE = `#!/bin/sh
# fake talosctl: one directory per call under $FAKE_LOG
n=$(ls "$FAKE_LOG" | wc -l | tr -d ' ')
d="$FAKE_LOG/call-$(printf '%04d' "$n")"
mkdir "$d"
for a in "$@"; do printf '%s\\0' "$a" >> "$d/argv"; done
touch "$d/argv"
pwd > "$d/cwd"
prev=
for a in "$@"; do
  case "$prev" in
    --file|--talosconfig) stat -c %a "$a" > "$d/mode$prev"; cat "$a" > "$d/content$prev";;
  esac
  prev=$a
done
case "$1" in
  apply-config)
    if [ -n "\${FAKE_APPLY_OUTPUT:-}" ]; then printf '%s\\n' "$FAKE_APPLY_OUTPUT" >&2; fi
    ;;
  kubeconfig)
    printf 'apiVersion: v1\\nkind: Config\\nusers:\\n    - name: admin@x\\n      user:\\n        client-certificate-data: %s\\n        client-key-data: %s\\n' "$FAKE_CRT" "$FAKE_KEY"
    ;;
  bootstrap)
    if [ -n "\${FAKE_BOOTSTRAP_ERROR:-}" ]; then echo "$FAKE_BOOTSTRAP_ERROR" >&2; exit 1; fi
    ;;
  etcd)
    # \`etcd members\`: the table talosctl prints (cmd/talosctl/cmd/talos/etcd.go), one member per line of FAKE_ETCD_MEMBERS ("id hostname")
    if [ "$2" = members ]; then
      [ -z "\${FAKE_ETCD_DOWN:-}" ] || { echo 'rpc error: code = Unavailable desc = connection refused' >&2; exit 1; }
      printf 'NODE   ID   HOSTNAME   PEER URLS   CLIENT URLS   LEARNER\n'
      printf '%s\n' "\${FAKE_ETCD_MEMBERS:-}" | while read -r id host; do [ -n "$id" ] && printf '10.0.0.1   %s   %s   https://%s:2380   https://%s:2379   false\n' "$id" "$host" "$host" "$host"; done
    fi
    ;;
  get)
    # the table talosctl prints (Talos docs, "Static Pods"); READY last
    printf 'NODE         NAMESPACE      TYPE              ID                                                VERSION   READY\n'
    printf '172.20.0.2   controlplane   StaticPodStatus   kube-system/kube-apiserver-cp1                    1         %s\n' "\${FAKE_APISERVER_READY:-True}"
    printf '172.20.0.2   controlplane   StaticPodStatus   kube-system/kube-scheduler-cp1                    1         True\n'
    ;;
esac
exit "\${FAKE_EXIT:-0}"
`;

export interface Call {
  argv: string[];
  cwd: string;
  files: Record<string, { mode: string; content: string }>;
}

export interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: Call[];
  /** The directory scripts ran in (their cwd); canaries are looked for here. */
  dir: string;
}

/** Runs `script` under /bin/sh -c with the fake talosctl first on PATH. */
export function runScript(script: string, env: Record<string, string>, stdin = '', extra: Record<string, string> = {}): ScriptRun {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-script-'));
  const bin = join(dir, 'bin');
  const log = join(dir, 'log');
  require('node:fs').mkdirSync(bin);
  require('node:fs').mkdirSync(log);
  writeFileSync(join(bin, 'talosctl'), FAKE);
  chmodSync(join(bin, 'talosctl'), 0o755);
  const r = spawnSync('/bin/sh', ['-c', script], {
    cwd: dir,
    input: stdin,
    encoding: 'utf8',
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      HOME: dir,
      TMPDIR: dir,
      FAKE_LOG: log,
      FAKE_CRT: Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64'),
      FAKE_KEY: Buffer.from('-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n').toString('base64'),
      ...extra,
      ...env,
    },
  });
  const calls = readdirSync(log)
    .sort()
    .map((c) => {
      const d = join(log, c);
      const argv = readFileSync(join(d, 'argv'), 'utf8').split('\0').slice(0, -1);
      const files: Call['files'] = {};
      for (const f of ['--file', '--talosconfig'])
        if (existsSync(join(d, `mode${f}`))) files[f] = { mode: readFileSync(join(d, `mode${f}`), 'utf8').trim(), content: readFileSync(join(d, `content${f}`), 'utf8') };
      return { argv, cwd: readFileSync(join(d, 'cwd'), 'utf8').trim(), files };
    });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls, dir };
}
