/** Script pieces every fixed talosctl script shares (core/talos/commands.ts, core/talos/etcd-commands.ts). */

export const PRELUDE = [
  'set -eu',
  'umask 077',
  'work=$(mktemp -d)',
  `trap 'rm -rf "$work"' EXIT`,
  `trap 'exit 129' HUP`,
  `trap 'exit 130' INT`,
  `trap 'exit 143' TERM`,
  'cd "$work"',
];

/** First stdin line: the talosconfig, base64. Written to ./talosconfig (0600). */
export const READ_TALOSCONFIG = [
  'talosconfig_b64=',
  'IFS= read -r talosconfig_b64 || true',
  `[ -n "$talosconfig_b64" ] || { echo 'bulwark: expected the talosconfig (base64) on the first line of stdin' >&2; exit 2; }`,
  `printf '%s' "$talosconfig_b64" | base64 -d > talosconfig`,
  'unset talosconfig_b64',
];

export const script = (...parts: (string | string[])[]) => `${parts.flat().join('\n')}\n`;
