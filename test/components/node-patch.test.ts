/**
 * Dedicated pools' labels (node-restriction.kubernetes.io/, which no kubelet may set on itself)
 * go on the nodes as the deployer's server-side-apply patch: registered as NodePatch, never as a
 * Node (which the provider would delete on destroy) or a generic CustomResource.
 */
import { runExample } from './harness';

test('saas: each pool node is a NodePatch carrying only its pool label', async () => {
  const run = await runExample('saas');
  expect(run.error).toBeUndefined();
  const nodes = run.registrations.filter((r) => /Node/.test(r.type) && r.type.startsWith('kubernetes:'));
  expect(nodes.length).toBeGreaterThan(0);
  for (const n of nodes) {
    expect(n.type).toBe('kubernetes:core/v1:NodePatch');
    const labels = (n.raw.metadata as { labels: Record<string, string> }).labels;
    expect(Object.keys(labels).some((k) => k.startsWith('node-restriction.kubernetes.io/'))).toBe(true);
  }
});
