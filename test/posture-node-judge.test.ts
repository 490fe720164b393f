/** Issue 14: the posture report names the real-node judge of node claims and says "not verified here" where no judge reached. */
import { renderStack } from '../core/render/index';
import { postureMarkdown } from '../core/posture/report';
import { example, testSecrets } from './helpers';

it('names the real node as judge of node claims; controls no judge reached read "not verified here"', async () => {
  const node = 'real node (kubelet v1.36.3, containerd v2.4.2, runc v1.5.3, gVisor runsc)';
  const r = renderStack(example('saas'), await testSecrets(), {
    verification: {
      kubernetesVersion: 'v1.36.3',
      stacks: { saas: { profile: 'hostile-multi-tenant', claims: [{ claim: 'tenant pods run in the gVisor kernel', controls: ['runtime.sandbox.runtime-class'], status: 'verified', judge: node }] } },
    },
  });
  const md = postureMarkdown(r.posture);
  // (the controls table is per layer: no layer column)
  expect(md).toContain(`| \`runtime.sandbox.runtime-class\` | enforced | verified (${node}) |`);
  expect(md).toContain('| `k8s.audit.policy` | enforced | not verified here |');
  expect(md).not.toMatch(/\| enforced \| — \|/);
});
