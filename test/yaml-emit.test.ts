/** The cluster-object emitter round-trips through the `yaml` package's parser, for any plain data. */
import fc from 'fast-check';
import { parse } from 'yaml';
import { emitYaml } from '../core/render/yaml-emit';
import { goYamlRead } from './go-yaml';

const key = fc.oneof(fc.string(), fc.constantFrom('true', 'no', 'on', 'null', '~', '1', '0x1f', '1e3', '.inf', 'a: b', '- x', '#c', '"q"', "'q'", 'app.kubernetes.io/name', 'y', '<<', '&a', '*a', '!t', '%x', '@x', '`x'));
const scalar = fc.oneof(key, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(key, tie('v'), { maxKeys: 4 })),
})).v;

// Characters from every range a reader may treat differently: C0 controls, DEL, the C1 controls
// (U+0080–U+009F, with NEL U+0085, a YAML 1.1 line break), Latin-1, the Unicode line and paragraph
// separators, the BOM, non-characters, other BMP text and astral code points.
const hardChar = fc.oneof(
  fc.integer({ min: 0x00, max: 0x1f }),
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.constantFrom(0x7f, 0x85, 0x2028, 0x2029, 0xfeff, 0xfffe, 0xffff, 0x22, 0x5c, 0x27, 0x3a, 0x23),
  fc.integer({ min: 0x80, max: 0x9f }),
  fc.integer({ min: 0xa0, max: 0xff }),
  fc.integer({ min: 0x100, max: 0xd7ff }),
  fc.integer({ min: 0xe000, max: 0xffff }),
  fc.integer({ min: 0x10000, max: 0x10ffff }),
).map((c) => String.fromCodePoint(c));
const hardString = fc.string({ unit: hardChar, maxLength: 12 });
const hardValue = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, hardString, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(hardString, tie('v'), { maxKeys: 3 })),
})).v;

/** JSON with keys sorted: go-yaml's maps have no order. */
const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));

describe('emitYaml', () => {
  it('go-yaml (YAML 1.1, as kubectl reads it) reads back exactly what was written, for any characters', () => {
    const samples = fc.sample(fc.dictionary(hardString, hardValue, { minKeys: 1, maxKeys: 5 }), { numRuns: 3000, seed: 11 });
    // plus a group name with each C1 control and DEL on its own: the case that was written raw
    for (let c = 0x7f; c <= 0x9f; c++) samples.push({ group: `oidc:team${String.fromCodePoint(c)}a` });
    const docs = samples.map((v) => emitYaml(v));
    const read = goYamlRead(docs);
    samples.forEach((v, i) => {
      if (canonical(read[i]) !== canonical(v)) throw new Error(`go-yaml read ${JSON.stringify(docs[i])} as ${canonical(read[i])}, not ${canonical(v)}`);
    });
  });

  it('writes only printable ASCII and newlines, and the yaml package agrees in YAML 1.1 and 1.2', () => {
    fc.assert(
      fc.property(fc.dictionary(hardString, hardValue, { maxKeys: 5 }), (v) => {
        const text = emitYaml(v);
        expect(text).toMatch(/^[\x20-\x7e\n]*$/);
        expect(parse(text, { version: '1.1' })).toEqual(JSON.parse(JSON.stringify(v)));
        expect(parse(text)).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses a lone UTF-16 surrogate, which no UTF-8 reader can receive', () => {
    expect(() => emitYaml({ group: 'a\ud800b' })).toThrow(/lone UTF-16 surrogate \(U\+D800\)/);
  });


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
