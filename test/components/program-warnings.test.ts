/**
 * Validation warnings (inputs accepted but changing nothing) reach the user of `pulumi preview` and
 * `pulumi up`: the program logs each one once with pulumi.log.warn, naming its key path, as
 * `bulwark render` prints them on stderr. Under the mock runtime (no engine) the log goes to
 * console.warn; the spy sees the same calls the engine would receive.
 */
import * as pulumi from '@pulumi/pulumi';
import { exampleValues } from '../helpers';
import { runProgram } from './harness';

const withIgnoredInputs = () => {
  const v = exampleValues('lab'); // single-team: no tenant gets a ResourceQuota
  const tenants = v.tenants as Record<string, unknown>[];
  tenants[0] = { ...tenants[0], quota: { pods: '10' } };
  const nodes = v.nodes as Record<string, unknown>[];
  nodes[1] = { ...nodes[1], site: 'rack-7' };
  return v;
};

const warnings = async (values: Record<string, unknown>, preview: boolean) => {
  const warn = jest.spyOn(pulumi.log, 'warn');
  try {
    const run = await runProgram(values, { stack: 'lab', preview });
    expect(run.error).toBeUndefined();
    return warn.mock.calls.map((c) => String(c[0]));
  } finally {
    warn.mockRestore();
  }
};

test.each([['preview', true], ['up', false]])('%s: each ignored input is one warning naming its key path, what was found and what would be right', async (_op, preview) => {
  const logged = await warnings(withIgnoredInputs(), preview as boolean);
  expect(logged).toEqual([
    expect.stringMatching(/^bulwark:tenants\[0\]\.quota: is set, but profile single-team does not require tenancy\.quota\.defaults.*; remove it, or use a profile that requires the control/),
    expect.stringMatching(/^bulwark:nodes\[1\]\.site: is "rack-7", but Bulwark configures nothing from a node's site.*label the node/),
  ]);
});

test('a stack without ignored inputs logs no warning', async () => {
  expect(await warnings(exampleValues('lab'), true)).toEqual([]);
});
