/**
 * Every `talosctl` invocation the Pulumi program makes, as FIXED shell scripts plus the
 * environment that carries the values. Pure: no Pulumi import, so the scripts can be
 * property-tested and run against a fake talosctl.
 *
 * The security boundary:
 *  - No value is ever interpolated into a script. A script is a constant; values reach
 *    talosctl as quoted "$BULWARK_*" environment variables (one argv entry each, never
 *    re-parsed by the shell) or on stdin.
 *  - Secrets (machine configurations, the talosconfig) go in on stdin only, and are written
 *    to files in a private `mktemp -d` directory (umask 077, so 0600 files) that a trap
 *    removes on exit. The talosconfig travels as the first stdin line, base64-encoded, so
 *    no content can break the framing; the rest of stdin is the payload.
 *  - Environment values that shell arithmetic or `case` would interpret are validated by the
 *    script itself before use (digits only, true/false only).
 *
 * Flags and modes are those documented in talosctl's CLI reference:
 *   siderolabs/talos website/content/v1.13/reference/cli.md (at v1.13.9) and
 *   website/content/v1.14/reference/cli.md (at v1.14.0-rc.1).
 * Only flags present in BOTH references are used. `apply-config --mode reboot` exists in
 * 1.13 only (1.14 applies every change live), so reboots are a separate `talosctl reboot`.
 */

import { PRELUDE, READ_TALOSCONFIG, script } from './script-parts';
import { ETCD_SCRIPTS } from './etcd-commands';

/** What a command resource runs on create, update and delete, and the values it runs with. */
export interface CommandSpec {
  create?: string;
  update?: string;
  delete?: string;
  environment: Record<string, string>;
}

/** The shell every script is written for (POSIX sh). */
export const INTERPRETER = ['/bin/sh', '-c'] as const;

/** The value of BULWARK_REBOOT_DIGEST on Talos lines that apply every configuration change live. */
export const LIVE = 'live';

/** The rest of stdin: a machine configuration. Written to ./machineconfig.yaml (0600). */
const READ_MACHINECONFIG = [
  'cat > machineconfig.yaml',
  `[ -s machineconfig.yaml ] || { echo 'bulwark: expected a machine configuration on stdin' >&2; exit 2; }`,
];


/**
 * talosctl apply-config's output goes to apply.log; on failure it is shown up to a "diff:"
 * line only. Talos answers a change it cannot apply live with a diff of the two configurations,
 * and machine configurations hold secrets (Pulumi prints a failed command's output in full).
 */
const APPLY_FAILED = [
  'apply_failed() {',
  `  sed '/^[[:space:]]*diff:/,$d' apply.log >&2`,
  `  echo 'bulwark: talosctl apply-config failed; any configuration diff it printed is withheld (it can hold secrets)' >&2`,
  '  exit 1',
  '}',
];

/**
 * First apply, to a node in maintenance mode (no credentials exist on the node yet). The
 * configuration carries every CA key of the cluster; without a pinned fingerprint, talosctl
 * sends it to whoever answers at the address (docs/operations.md, "Trust on first apply").
 * With BULWARK_CERT_FINGERPRINT (bulwark:nodes[i].certFingerprint) talosctl checks the
 * maintenance certificate's key first (`--cert-fingerprint`: base64 SHA-256 of its
 * SubjectPublicKeyInfo, as the node's console prints it) and sends nothing on a mismatch.
 */
const PROVISION = script(
  '# First configuration of a node booted into maintenance mode: the insecure (encrypted, unauthenticated) maintenance API.',
  PRELUDE,
  APPLY_FAILED,
  'set --',
  'if [ -n "${BULWARK_CERT_FINGERPRINT:-}" ]; then',
  '  case "$BULWARK_CERT_FINGERPRINT" in',
  `    *[!A-Za-z0-9+/=]*) echo 'bulwark: BULWARK_CERT_FINGERPRINT is not a base64 fingerprint' >&2; exit 2 ;;`,
  '  esac',
  '  set -- --cert-fingerprint "$BULWARK_CERT_FINGERPRINT"',
  'fi',
  READ_MACHINECONFIG,
  'talosctl apply-config --insecure --nodes "$BULWARK_NODE" "$@" --file machineconfig.yaml > apply.log 2>&1 || apply_failed',
  'cat apply.log >&2',
);

/**
 * An update of the first apply (a new node address, a new script) does nothing: the node is
 * configured, and sending a configuration over the maintenance API again would reach a node
 * that refuses it, or whoever now answers at that address. Later configuration goes through
 * the authenticated config step.
 */
const PROVISION_UPDATE = script(
  '# The node was configured by its first apply; changes go through the authenticated config step.',
  'cat > /dev/null',
);

/**
 * The health gate every rollout step ends with: cluster health seen from a control plane
 * (the talosconfig's endpoint), bounded by BULWARK_TIMEOUT. Nodes are discovered by Talos.
 */
const GATE = 'talosctl health --talosconfig talosconfig --nodes "$BULWARK_HEALTH_NODE" --wait-timeout "$BULWARK_TIMEOUT" >&2';

/**
 * Rollout steps record what they last applied on stdout (`key=value` lines); on update,
 * Pulumi hands that record back in PULUMI_COMMAND_STDOUT. A step acts only when its own value
 * differs from the record, so an incidental input change (a rotated talosconfig, a new health
 * timeout) never upgrades or reboots a node. On create (first provision) a step only records.
 */
const RECORD_NODE = `printf 'installer=%s\\nconfig=%s\\nreboot-digest=%s\\n' "$BULWARK_INSTALLER" "$BULWARK_CONFIG_DIGEST" "$BULWARK_REBOOT_DIGEST"`;
const RECORD_REBOOT = `printf 'reboot-digest=%s\\n' "$BULWARK_REBOOT_DIGEST"`;
const RECORD_KUBERNETES = `printf 'kubernetes=%s\\n' "$BULWARK_KUBERNETES_VERSION"`;
/** The recorded value of key $1, from the previous run's stdout. */
const RECALL = `recall() { printf '%s\\n' "\${PULUMI_COMMAND_STDOUT:-}" | sed -n "s/^$1=//p" | head -n 1; }`;

const record = (what: string, line: string) => script(`# First provision: nothing to do; record the ${what} the node was provisioned with.`, 'cat > /dev/null', line);

/**
 * A node's rollout step: Talos first, then its configuration, then one health gate.
 *  1. When the installer image (Talos version or schematic) changed: `talosctl upgrade`
 *     (drains, upgrades, reboots, waits). Before the configuration, which may use what the
 *     new Talos brings.
 *  2. When the configuration changed: authenticated `apply-config --mode no-reboot`; or, when
 *     fields Talos cannot change on a running node changed (the reboot digest differs from the
 *     recorded one), `--mode staged`, and the node's reboot step (next) reboots into it.
 *  3. When anything ran, the health gate: the next group starts only on a healthy cluster.
 */
const NODE_STEP = script(
  "# Rollout step of one node: Talos upgrade when its installer image changed, then the authenticated apply of a changed configuration, then the health gate.",
  PRELUDE,
  APPLY_FAILED,
  READ_TALOSCONFIG,
  READ_MACHINECONFIG,
  RECALL,
  'changed=',
  'if [ "$(recall installer)" = "$BULWARK_INSTALLER" ]; then',
  `  echo 'bulwark: installer image unchanged; no upgrade' >&2`,
  'else',
  '  talosctl upgrade --talosconfig talosconfig --nodes "$BULWARK_NODE" --image "$BULWARK_INSTALLER" --wait >&2',
  '  changed=1',
  'fi',
  'if [ "$(recall config)" = "$BULWARK_CONFIG_DIGEST" ] && [ "$(recall reboot-digest)" = "$BULWARK_REBOOT_DIGEST" ]; then',
  `  echo 'bulwark: machine configuration unchanged; nothing to apply' >&2`,
  `elif [ "$BULWARK_REBOOT_DIGEST" != ${LIVE} ] && [ "$(recall reboot-digest)" != "$BULWARK_REBOOT_DIGEST" ]; then`,
  '  # Fields that need a reboot changed: stage; the reboot step applies it.',
  '  talosctl apply-config --talosconfig talosconfig --nodes "$BULWARK_NODE" --mode staged --file machineconfig.yaml > apply.log 2>&1 || apply_failed',
  '  cat apply.log >&2',
  'else',
  '  talosctl apply-config --talosconfig talosconfig --nodes "$BULWARK_NODE" --mode no-reboot --file machineconfig.yaml > apply.log 2>&1 || apply_failed',
  '  cat apply.log >&2',
  '  changed=1',
  'fi',
  `if [ -n "$changed" ]; then ${GATE}; fi`,
  RECORD_NODE,
);

/** Reboot into a staged configuration when the reboot digest changed, then the health gate. */
const REBOOT = script(
  '# Reboot when the fields of the machine configuration that need a reboot changed.',
  PRELUDE,
  READ_TALOSCONFIG,
  RECALL,
  `if [ "$BULWARK_REBOOT_DIGEST" = ${LIVE} ]; then`,
  `  echo 'bulwark: this Talos line applies every configuration change without a reboot' >&2`,
  'elif [ "$(recall reboot-digest)" = "$BULWARK_REBOOT_DIGEST" ]; then',
  `  echo 'bulwark: no field that needs a reboot changed' >&2`,
  'else',
  '  talosctl reboot --talosconfig talosconfig --nodes "$BULWARK_NODE" --drain --wait >&2',
  `  ${GATE}`,
  'fi',
  RECORD_REBOOT,
);

/** Health check with explicit node lists (after bootstrap) or discovered nodes (preflight). */
const HEALTH = script(
  '# Cluster health, bounded by BULWARK_TIMEOUT. BULWARK_STEP (if set) names the change this check precedes,',
  '# so the check runs again exactly when that change does.',
  PRELUDE,
  READ_TALOSCONFIG,
  'set --',
  'if [ -n "${BULWARK_CONTROL_PLANE_NODES:-}" ]; then set -- "$@" --control-plane-nodes "$BULWARK_CONTROL_PLANE_NODES"; fi',
  'if [ -n "${BULWARK_WORKER_NODES:-}" ]; then set -- "$@" --worker-nodes "$BULWARK_WORKER_NODES"; fi',
  'talosctl health --talosconfig talosconfig --nodes "$BULWARK_NODE" --wait-timeout "$BULWARK_TIMEOUT" "$@" >&2',
);

/**
 * etcd bootstrap, once, on the first control plane. The node is still installing after its
 * first apply, so retry until it answers, within BULWARK_WAIT_SECONDS. A node that reports
 * AlreadyExists was bootstrapped by an earlier (interrupted) run: that is success.
 */
const BOOTSTRAP = script(
  '# etcd bootstrap on the first control plane, retried until the freshly installed node answers.',
  PRELUDE,
  `case "$BULWARK_WAIT_SECONDS" in ''|*[!0-9]*) echo 'bulwark: BULWARK_WAIT_SECONDS must be a number of seconds' >&2; exit 2;; esac`,
  READ_TALOSCONFIG,
  'deadline=$(( $(date +%s) + BULWARK_WAIT_SECONDS ))',
  'while :; do',
  '  if talosctl bootstrap --talosconfig talosconfig --nodes "$BULWARK_NODE" > bootstrap.log 2>&1; then cat bootstrap.log >&2; exit 0; fi',
  '  cat bootstrap.log >&2',
  `  if grep -q 'AlreadyExists' bootstrap.log; then echo 'bulwark: etcd was already bootstrapped' >&2; exit 0; fi`,
  `  if [ "$(date +%s)" -ge "$deadline" ]; then echo 'bulwark: the node did not accept the bootstrap in time' >&2; exit 1; fi`,
  '  sleep 10',
  'done',
);


/**
 * With a CNI the program installs (cluster.cni: cilium), nodes stay NotReady until it is in,
 * so the cluster health check cannot come first: after bootstrap, wait only until the API
 * server's static pod reports Ready (the READY column of `talosctl get staticpodstatus`),
 * within BULWARK_WAIT_SECONDS; the CNI goes in next, then the health check.
 */
const API_SERVER_READY = script(
  '# Wait for kube-apiserver on the first control plane (its static pod Ready), bounded by BULWARK_WAIT_SECONDS.',
  PRELUDE,
  `case "$BULWARK_WAIT_SECONDS" in ''|*[!0-9]*) echo 'bulwark: BULWARK_WAIT_SECONDS must be a number of seconds' >&2; exit 2;; esac`,
  READ_TALOSCONFIG,
  'deadline=$(( $(date +%s) + BULWARK_WAIT_SECONDS ))',
  'while :; do',
  `  if talosctl get staticpodstatus --talosconfig talosconfig --nodes "$BULWARK_NODE" 2> status.err | awk '$4 ~ /kube-apiserver/ && $NF == "True" { ok = 1 } END { exit !ok }'; then exit 0; fi`,
  `  if [ "$(date +%s)" -ge "$deadline" ]; then cat status.err >&2; echo 'bulwark: kube-apiserver did not become ready in time' >&2; exit 1; fi`,
  '  sleep 10',
  'done',
);

/**
 * Kubernetes upgrade, before any node's rollout step: the configurations those steps apply
 * carry the new images, so the control plane must already be upgraded, in order, by
 * upgrade-k8s. The Talos the nodes run must support the new version; Talos refuses a
 * configuration for a version it does not support, so a failure here has changed nothing.
 */
const UPGRADE_K8S = script(
  '# Kubernetes upgrade: talosctl rolls the control-plane components, kube-proxy and every kubelet in order; then the health gate.',
  PRELUDE,
  READ_TALOSCONFIG,
  RECALL,
  'if [ "$(recall kubernetes)" = "$BULWARK_KUBERNETES_VERSION" ]; then',
  `  echo 'bulwark: Kubernetes version unchanged; no upgrade' >&2`,
  'else',
  '  talosctl upgrade-k8s --talosconfig talosconfig --nodes "$BULWARK_NODE" --to "$BULWARK_KUBERNETES_VERSION" >&2 || {',
  `    echo 'bulwark: Kubernetes is upgraded before Talos rolls through the nodes; if the Talos they run does not support this version yet, roll out talosVersion first (its own pulumi up), then kubernetesVersion' >&2`,
  '    exit 1',
  '  }',
  `  ${GATE}`,
  'fi',
  RECORD_KUBERNETES,
);

const RESET = script(
  '# Reset on destroy: wipe STATE and EPHEMERAL of the system disk and reboot into maintenance mode.',
  PRELUDE,
  `case "$BULWARK_GRACEFUL" in true|false) ;; *) echo 'bulwark: BULWARK_GRACEFUL must be true or false' >&2; exit 2;; esac`,
  READ_TALOSCONFIG,
  'talosctl reset --talosconfig talosconfig --nodes "$BULWARK_NODE" --graceful="$BULWARK_GRACEFUL" --reboot --wait --wipe-mode system-disk --system-labels-to-wipe STATE --system-labels-to-wipe EPHEMERAL >&2',
);


/** Every fixed script, by name. Nothing else is ever run. */
export const SCRIPTS = {
  provision: PROVISION,
  provisionUpdate: PROVISION_UPDATE,
  nodeStepRecord: record('installer image and configuration', RECORD_NODE),
  nodeStep: NODE_STEP,
  rebootRecord: record('reboot digest', RECORD_REBOOT),
  reboot: REBOOT,
  health: HEALTH,
  bootstrap: BOOTSTRAP,
  apiServerReady: API_SERVER_READY,
  upgradeK8sRecord: record('Kubernetes version', RECORD_KUBERNETES),
  upgradeK8s: UPGRADE_K8S,
  reset: RESET,
  ...ETCD_SCRIPTS,
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** stdin of an authenticated command: the talosconfig as one base64 line, then the payload. */
export function authenticatedStdin(talosconfig: string, payload = ''): string {
  return `${Buffer.from(talosconfig, 'utf8').toString('base64')}\n${payload}`;
}

/** Where a rollout step's health gate runs: a control plane (the talosconfig's endpoint) and the bound. */
export interface Gate {
  healthNode: string;
  timeout: string;
}

const gateEnv = (g: Gate) => ({ BULWARK_HEALTH_NODE: g.healthNode, BULWARK_TIMEOUT: g.timeout });

/** First apply (maintenance mode). stdin: the machine configuration. */
export function provisionCommand(p: { address: string; certFingerprint?: string }): CommandSpec {
  const environment: Record<string, string> = { BULWARK_NODE: p.address };
  if (p.certFingerprint) environment.BULWARK_CERT_FINGERPRINT = p.certFingerprint;
  return { create: SCRIPTS.provision, update: SCRIPTS.provisionUpdate, environment };
}

/**
 * A node's rollout step (Talos upgrade, then configuration). stdin: authenticatedStdin(talosconfig,
 * machine configuration). The digests name a change without revealing the configuration.
 */
export function nodeStepCommand(p: { address: string; installer: string; configDigest: string; rebootDigest: string } & Gate): CommandSpec {
  return {
    create: SCRIPTS.nodeStepRecord,
    update: SCRIPTS.nodeStep,
    environment: {
      BULWARK_NODE: p.address,
      BULWARK_INSTALLER: p.installer,
      BULWARK_CONFIG_DIGEST: p.configDigest,
      BULWARK_REBOOT_DIGEST: p.rebootDigest,
      ...gateEnv(p),
    },
  };
}

/** Reboot when the reboot digest changes. stdin: authenticatedStdin(talosconfig). */
export function rebootStepCommand(p: { address: string; rebootDigest: string } & Gate): CommandSpec {
  return { create: SCRIPTS.rebootRecord, update: SCRIPTS.reboot, environment: { BULWARK_NODE: p.address, BULWARK_REBOOT_DIGEST: p.rebootDigest, ...gateEnv(p) } };
}

/** Kubernetes upgrade (cluster-wide, once) when the version changes. stdin: authenticatedStdin(talosconfig). */
export function kubernetesUpgradeCommand(p: { target: string; version: string; timeout: string }): CommandSpec {
  return {
    create: SCRIPTS.upgradeK8sRecord,
    update: SCRIPTS.upgradeK8s,
    // `--to` takes the version as talosctl prints it (1.36.4); the stack writes v1.36.4.
    environment: { BULWARK_NODE: p.target, BULWARK_KUBERNETES_VERSION: p.version.replace(/^v/, ''), BULWARK_HEALTH_NODE: p.target, BULWARK_TIMEOUT: p.timeout },
  };
}

/** Health after bootstrap: waits for exactly the declared nodes. */
export function bootstrapHealthCommand(p: { target: string; timeout: string; controlPlanes: string[]; workers: string[] }): CommandSpec {
  const environment = {
    BULWARK_NODE: p.target,
    BULWARK_TIMEOUT: p.timeout,
    BULWARK_CONTROL_PLANE_NODES: p.controlPlanes.join(','),
    BULWARK_WORKER_NODES: p.workers.join(','),
  };
  return { create: SCRIPTS.health, update: SCRIPTS.health, environment };
}

/**
 * Health before a rollout starts: nothing on create (first provision is gated by the
 * bootstrap health check); on update, whenever `step` (a digest of every rollout step) changes.
 */
export function preflightHealthCommand(p: { target: string; timeout: string; step: string }): CommandSpec {
  return { update: SCRIPTS.health, environment: { BULWARK_NODE: p.target, BULWARK_TIMEOUT: p.timeout, BULWARK_STEP: p.step } };
}

export function bootstrapCommand(p: { target: string; waitSeconds: number }): CommandSpec {
  return { create: SCRIPTS.bootstrap, environment: { BULWARK_NODE: p.target, BULWARK_WAIT_SECONDS: String(Math.max(0, Math.floor(p.waitSeconds))) } };
}

export function apiServerReadyCommand(p: { target: string; waitSeconds: number }): CommandSpec {
  return { create: SCRIPTS.apiServerReady, environment: { BULWARK_NODE: p.target, BULWARK_WAIT_SECONDS: String(p.waitSeconds) } };
}

/** `dead` (operations.deadNodes): the delete only says why the node is not reset (its API does not answer). */
export function resetCommand(p: { address: string; graceful: boolean; dead?: boolean }): CommandSpec {
  return { delete: p.dead ? SCRIPTS.resetSkipped : SCRIPTS.reset, environment: { BULWARK_NODE: p.address, BULWARK_GRACEFUL: p.graceful ? 'true' : 'false' } };
}

/** Go duration (as the schema admits: 1h30m, 10m, 45s) → seconds. */
export function durationSeconds(d: string): number {
  let total = 0;
  for (const [, n, unit] of d.matchAll(/(\d+)(h|m|s)/g)) total += Number(n) * (unit === 'h' ? 3600 : unit === 'm' ? 60 : 1);
  return total;
}
