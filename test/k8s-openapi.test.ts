/** Every rendered Kubernetes object validates against the upstream OpenAPI of the target version. */
import { renderStack } from '../core/render/index';
import { EXAMPLES, example, testSecrets } from './helpers';
import { k8sValidators } from './openapi';

const VERSION = 'v1.36.3';
let validatorFor: ReturnType<typeof k8sValidators>;

beforeAll(() => {
  validatorFor = k8sValidators(VERSION);
}, 300_000);

describe.each(EXAMPLES)('stack %s', (name) => {
  it('renders cluster objects that validate strictly against the Kubernetes OpenAPI', async () => {
    const v = example(name);
    expect(v.stack.cluster.kubernetesVersion).toBe(VERSION);
    const r = renderStack(v, await testSecrets());
    const objects = [...r.objects, ...[...r.tenantObjects.values()].flat()];
    expect(objects.length).toBeGreaterThan(5);
    for (const o of objects) {
      const validate = validatorFor(o.apiVersion, o.kind) as unknown as ((d: unknown) => boolean) & { errors?: unknown[] };
      if (!validate(o)) throw new Error(`${o.kind}/${o.metadata.name}: ${JSON.stringify(validate.errors?.slice(0, 4))}`);
    }
  });
});

it('the validator is strict: unknown fields, wrong types and missing required fields fail', () => {
  const ns = validatorFor('v1', 'Namespace');
  expect(ns({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } })).toBe(true);
  expect(ns({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a', lables: {} } })).toBe(false);
  const rb = validatorFor('rbac.authorization.k8s.io/v1', 'RoleBinding');
  expect(rb({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'a' }, subjects: [] })).toBe(false); // roleRef required
  const np = validatorFor('networking.k8s.io/v1', 'NetworkPolicy');
  expect(np({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'a' }, spec: { podSelector: {}, policyTypes: 'Ingress' } })).toBe(false);
});
