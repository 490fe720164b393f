/** The cluster-object emitter round-trips through the `yaml` package's parser, for any plain data. */
import fc from 'fast-check';
import { parse } from 'yaml';
import { emitYaml } from '../core/render/yaml-emit';

const key = fc.oneof(fc.string(), fc.constantFrom('true', 'no', 'on', 'null', '~', '1', '0x1f', '1e3', '.inf', 'a: b', '- x', '#c', '"q"', "'q'", 'app.kubernetes.io/name', 'y', '<<', '&a', '*a', '!t', '%x', '@x', '`x'));
const scalar = fc.oneof(key, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(key, tie('v'), { maxKeys: 4 })),
})).v;

describe('emitYaml', () => {
  it('round-trips any plain data through a YAML 1.2 parser', () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (v) => {
        expect(parse(emitYaml(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the same under YAML 1.1 rules (no yes/no/on/off surprises)', () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (v) => {
        expect(parse(emitYaml(v), { version: '1.1' })).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 1000 },
    );
  });

  it('writes Kubernetes objects the way people write them', () => {
    expect(emitYaml({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { 'pod-security.kubernetes.io/enforce': 'restricted', empty: '' } }, spec: { podSelector: {}, ports: [{ port: 53, protocol: 'UDP' }], types: [] } })).toBe(
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n    empty: ""\nspec:\n  podSelector: {}\n  ports:\n    - port: 53\n      protocol: UDP\n  types: []\n',
    );
  });
});
