/**
 * Every rendered machine-config document validates against the official Talos JSON schema of
 * its contract (../shared/reference/talos/v1.13|v1.14/config.schema.json, draft 2020-12).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parseAllDocuments } from 'yaml';
import { renderStack } from '../core/render/index';
import { EXAMPLES, example, requireReference, testSecrets } from './helpers';

const compiled = new Map<string, ReturnType<Ajv2020['compile']>>();
function validatorFor(contract: string) {
  if (!compiled.has(contract)) {
    const schema = JSON.parse(readFileSync(join(requireReference(), `talos/v${contract}/config.schema.json`), 'utf8'));
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    compiled.set(contract, ajv.compile(schema));
  }
  return compiled.get(contract)!;
}

describe.each(EXAMPLES)('stack %s', (name) => {
  it('renders machine configs whose every document validates against the Talos schema of its contract', async () => {
    const v = example(name);
    const r = renderStack(v, await testSecrets());
    const validate = validatorFor(v.stack.cluster.contract);
    let documents = 0;
    for (const node of r.nodes) {
      for (const d of parseAllDocuments(node.config)) {
        const obj = d.toJS() as Record<string, unknown>;
        const kind = obj.kind as string | undefined;
        const ok = validate(obj);
        if (!ok) throw new Error(`${node.name} ${kind ?? 'v1alpha1'}: ${JSON.stringify(validate.errors?.slice(0, 5), null, 1)}`);
        documents++;
      }
    }
    expect(documents).toBeGreaterThan(r.nodes.length);
  });
});

it('the schema rejects what Talos would reject (the validator is not vacuous)', () => {
  const validate = validatorFor('1.14');
  expect(validate({ apiVersion: 'v1alpha1', kind: 'KubeAPIServerConfig', image: 'x', extraArgs: { a: 'b' }, bogus: true })).toBe(false);
  expect(validate({ version: 'v1alpha1', machine: { type: 'controlplane', install: { disk: '/dev/sda' } } })).toBe(false); // machine.install left v1alpha1 in 1.14
  expect(validatorFor('1.13')({ version: 'v1alpha1', machine: { type: 'controlplane', install: { disk: '/dev/sda' } } })).toBe(true);
});
