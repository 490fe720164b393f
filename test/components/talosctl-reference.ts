/**
 * talosctl's documented CLI, for the subcommands Bulwark runs: the flags each takes and the
 * values of the enumerated ones. Transcribed from talosctl's CLI reference, "Options" of each
 * command:
 *   siderolabs/talos  website/content/v1.13/reference/cli.md  (tag v1.13.9)
 *   siderolabs/talos  website/content/v1.14/reference/cli.md  (tag v1.14.0-rc.1)
 * Bulwark supports both lines, so a command must be valid under both.
 */
export type Line = '1.13' | '1.14';

export const TALOSCTL_FLAGS: Record<Line, Record<string, readonly string[]>> = {
  '1.13': {
    'apply-config': ['cert-fingerprint', 'cluster', 'config-patch', 'context', 'dry-run', 'endpoints', 'file', 'help', 'insecure', 'mode', 'nodes', 'siderov1-keys-dir', 'talosconfig', 'timeout'],
    'bootstrap': ['cluster', 'context', 'endpoints', 'help', 'nodes', 'recover-from', 'recover-skip-hash-check', 'siderov1-keys-dir', 'talosconfig'],
    // etcd leave, etcd members, etcd remove-member: the same options (own -h, the inherited ones)
    'etcd': ['cluster', 'context', 'endpoints', 'help', 'nodes', 'siderov1-keys-dir', 'talosconfig'],
    'get': ['cluster', 'context', 'endpoints', 'help', 'insecure', 'namespace', 'nodes', 'output', 'siderov1-keys-dir', 'talosconfig', 'watch'],
    'health': ['cluster', 'context', 'control-plane-nodes', 'endpoints', 'help', 'init-node', 'k8s-endpoint', 'nodes', 'run-e2e', 'server', 'siderov1-keys-dir', 'talosconfig', 'wait-timeout', 'worker-nodes'],
    'kubeconfig': ['cluster', 'context', 'endpoints', 'force', 'force-context-name', 'help', 'merge', 'nodes', 'siderov1-keys-dir', 'talosconfig'],
    'upgrade': ['cluster', 'context', 'debug', 'drain', 'drain-timeout', 'endpoints', 'help', 'image', 'legacy', 'namespace', 'no-reboot', 'nodes', 'progress', 'reboot-mode', 'siderov1-keys-dir', 'talosconfig', 'timeout', 'wait'],
    'upgrade-k8s': ['apiserver-image', 'cluster', 'context', 'controller-manager-image', 'dry-run', 'endpoint', 'endpoints', 'from', 'help', 'kubelet-image', 'manifests-force', 'manifests-inventory-policy', 'manifests-no-prune', 'manifests-reconcile-timeout', 'nodes', 'pre-pull-images', 'proxy-image', 'scheduler-image', 'siderov1-keys-dir', 'talosconfig', 'to', 'upgrade-kubelet', 'with-docs', 'with-examples'],
    'reboot': ['cluster', 'context', 'debug', 'drain', 'drain-timeout', 'endpoints', 'help', 'mode', 'nodes', 'progress', 'siderov1-keys-dir', 'talosconfig', 'timeout', 'wait'],
    'reset': ['cluster', 'context', 'debug', 'endpoints', 'graceful', 'help', 'insecure', 'nodes', 'reboot', 'siderov1-keys-dir', 'system-labels-to-wipe', 'talosconfig', 'timeout', 'user-disks-to-wipe', 'wait', 'wipe-mode'],
  },
  '1.14': {
    'apply-config': ['cert-fingerprint', 'cluster', 'config-patch', 'context', 'dry-run', 'endpoints', 'file', 'help', 'insecure', 'mode', 'nodes', 'siderov1-keys-dir', 'talosconfig', 'timeout'],
    'bootstrap': ['cluster', 'context', 'endpoints', 'help', 'nodes', 'recover-from', 'recover-skip-hash-check', 'siderov1-keys-dir', 'talosconfig'],
    // etcd leave, etcd members, etcd remove-member: the same options (own -h, the inherited ones)
    'etcd': ['cluster', 'context', 'endpoints', 'help', 'nodes', 'siderov1-keys-dir', 'talosconfig'],
    'get': ['cluster', 'context', 'endpoints', 'help', 'insecure', 'namespace', 'nodes', 'output', 'siderov1-keys-dir', 'talosconfig', 'watch'],
    'health': ['cluster', 'context', 'control-plane-nodes', 'endpoints', 'help', 'init-node', 'k8s-endpoint', 'nodes', 'run-e2e', 'server', 'siderov1-keys-dir', 'talosconfig', 'wait-timeout', 'worker-nodes'],
    'kubeconfig': ['cluster', 'context', 'endpoints', 'force', 'force-context-name', 'help', 'merge', 'nodes', 'siderov1-keys-dir', 'talosconfig'],
    'upgrade': ['cluster', 'context', 'debug', 'drain', 'drain-timeout', 'endpoints', 'help', 'image', 'legacy', 'namespace', 'no-reboot', 'nodes', 'progress', 'reboot-mode', 'siderov1-keys-dir', 'talosconfig', 'timeout', 'wait'],
    'upgrade-k8s': ['apiserver-image', 'cluster', 'context', 'controller-manager-image', 'dry-run', 'endpoint', 'endpoints', 'from', 'help', 'kubelet-image', 'manifests-force', 'manifests-inventory-policy', 'manifests-no-prune', 'manifests-reconcile-timeout', 'nodes', 'pre-pull-images', 'proxy-image', 'scheduler-image', 'siderov1-keys-dir', 'talosconfig', 'to', 'upgrade-kubelet', 'with-docs', 'with-examples'],
    'reboot': ['cluster', 'context', 'debug', 'drain', 'drain-timeout', 'endpoints', 'help', 'mode', 'nodes', 'progress', 'siderov1-keys-dir', 'talosconfig', 'timeout', 'wait'],
    'reset': ['cluster', 'context', 'debug', 'endpoints', 'graceful', 'help', 'nodes', 'reboot', 'siderov1-keys-dir', 'system-labels-to-wipe', 'talosconfig', 'timeout', 'user-disks-to-wipe', 'wait', 'wipe-mode'],
  },
};

/** Enumerated flag values, per line (same sources). */
export const TALOSCTL_VALUES: Record<Line, Record<string, readonly string[]>> = {
  // apply-config "-m, --mode auto, no-reboot, reboot, staged, try" (1.13); "auto, no-reboot, staged, try" (1.14: reboot removed)
  '1.13': { 'apply-config --mode': ['auto', 'no-reboot', 'reboot', 'staged', 'try'], 'reset --wipe-mode': ['all', 'system-disk', 'user-disks'], 'reboot --mode': ['default', 'force', 'powercycle'] },
  '1.14': { 'apply-config --mode': ['auto', 'no-reboot', 'staged', 'try'], 'reset --wipe-mode': ['all', 'system-disk', 'user-disks'], 'reboot --mode': ['default', 'force', 'powercycle'] },
};

/** Boolean flags (pflag): `--flag` or `--flag=true|false`, never a separate value. */
export const BOOLEAN_FLAGS = new Set(['insecure', 'dry-run', 'wait', 'drain', 'graceful', 'reboot', 'merge', 'force', 'server', 'run-e2e', 'debug', 'legacy', 'no-reboot', 'pre-pull-images', 'upgrade-kubelet', 'with-docs', 'with-examples', 'manifests-force', 'manifests-no-prune', 'recover-skip-hash-check']);

/** Talos system partition labels `reset --system-labels-to-wipe` takes (Talos docs: STATE, EPHEMERAL, META, BOOT, EFI). */
export const SYSTEM_LABELS = ['STATE', 'EPHEMERAL', 'META', 'BOOT', 'EFI'];
