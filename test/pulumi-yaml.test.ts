// Pulumi.yaml's config declarations against the stack schema. The real CLI treats a declared key
// without a default as required and refuses every stack lacking it (issue 12 item 1), so: a key
// declared without a default must be one the schema requires; a declared default must be valid for
// the schema; an optional key with no valid default stays undeclared (listed in Pulumi.yaml's header).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { stackSchema } from '../core/config/schema';

const project = parse(readFileSync(join(__dirname, '..', 'Pulumi.yaml'), 'utf8')) as {
  config: Record<string, { description?: string; default?: unknown }>;
};
const shape = stackSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
const declared = Object.entries(project.config);

describe('Pulumi.yaml config declarations', () => {
  it('declares only keys the schema knows', () => {
    expect(declared.map(([k]) => k).filter((k) => !(k in shape))).toEqual([]);
  });

  it('declares a key without a default only where the schema requires it', () => {
    const optionalWithoutDefault = declared
      .filter(([, d]) => !('default' in d))
      .map(([k]) => k)
      .filter((k) => shape[k].safeParse(undefined).success);
    expect(optionalWithoutDefault).toEqual([]);
  });

  it('gives defaults the schema accepts', () => {
    const invalid = declared.filter(([k, d]) => 'default' in d && !shape[k].safeParse(d.default).success).map(([k]) => k);
    expect(invalid).toEqual([]);
  });

  it('declares every required key', () => {
    const required = Object.keys(shape).filter((k) => !shape[k].safeParse(undefined).success);
    expect(required.filter((k) => !(k in project.config))).toEqual([]);
  });
});
