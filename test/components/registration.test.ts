/**
 * Resources are constructed with V8's stack capture off (components/registration.ts): the
 * SDK's per-promise stack traces are skipped, the limit is restored whatever happens, and the
 * source position Pulumi records for each resource is still there.
 */
import { withoutPromiseStacks } from '../../components/registration';
import { runExample } from './harness';

describe('withoutPromiseStacks', () => {
  const saved = process.env.BULWARK_PROMISE_STACKS;
  afterEach(() => {
    if (saved === undefined) delete process.env.BULWARK_PROMISE_STACKS;
    else process.env.BULWARK_PROMISE_STACKS = saved;
  });

  test('captures no stack frames while constructing, and restores the limit after', () => {
    delete process.env.BULWARK_PROMISE_STACKS;
    const before = Error.stackTraceLimit;
    const stack = withoutPromiseStacks(() => new Error('x').stack);
    expect(stack).toBe('Error: x');
    expect(Error.stackTraceLimit).toBe(before);
  });

  test('restores the limit when construction throws, and the error keeps its message', () => {
    delete process.env.BULWARK_PROMISE_STACKS;
    const before = Error.stackTraceLimit;
    expect(() =>
      withoutPromiseStacks(() => {
        throw new Error('tenant t: RoleBinding/t/b must be applied after Role/t/r');
      }),
    ).toThrow('must be applied after Role/t/r');
    expect(Error.stackTraceLimit).toBe(before);
  });

  test('BULWARK_PROMISE_STACKS=1 keeps every stack, for debugging the program', () => {
    process.env.BULWARK_PROMISE_STACKS = '1';
    expect(withoutPromiseStacks(() => new Error('x').stack)).toMatch(/\n\s+at /);
  });
});

test('the source positions Pulumi records are the same with stack capture off as with it on', async () => {
  const positions = async (keep: boolean) => {
    if (keep) process.env.BULWARK_PROMISE_STACKS = '1';
    else delete process.env.BULWARK_PROMISE_STACKS;
    try {
      const run = await runExample('prod');
      expect(run.error).toBeUndefined();
      return new Map(run.registrations.map((r) => [r.urn, r.sourcePosition]));
    } finally {
      delete process.env.BULWARK_PROMISE_STACKS;
    }
  };
  const off = await positions(false);
  const on = await positions(true);
  expect(off).toEqual(on);
  // and they point into the program: most resources are constructed in components/
  const inComponents = [...off.values()].filter((p) => p && /\/components\/[a-z-]+\.ts$/.test(p.uri) && p.line > 0);
  expect(inComponents.length).toBeGreaterThan(off.size / 2);
});
