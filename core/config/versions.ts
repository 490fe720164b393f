/**
 * Which Kubernetes versions each Talos release line runs, from siderolabs/talos
 * pkg/machinery/compatibility/talos113 and talos114 (MinimumKubernetesVersion /
 * MaximumKubernetesVersion). Bulwark models Talos's own component defaults for these lines
 * only (core/talos/defaults.ts), so other lines are refused rather than guessed at.
 */
export const TALOS_KUBERNETES_SUPPORT: Record<string, { min: string; max: string }> = {
  '1.13': { min: '1.31', max: '1.36' },
  '1.14': { min: '1.32', max: '1.37' },
};

export function minorOf(version: string): string {
  const [maj, min] = version.replace(/^v/, '').split('.');
  return `${maj}.${min}`;
}

export function compareMinor(a: string, b: string): number {
  const [a1, a2] = a.split('.').map(Number);
  const [b1, b2] = b.split('.').map(Number);
  return a1 - b1 || a2 - b2;
}
