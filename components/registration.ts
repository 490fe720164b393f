/**
 * Registering thousands of resources without thousands of stack traces.
 *
 * The Pulumi Node.js SDK wraps each output property of each resource in four promises and
 * records `new Error().stack` on every one of them (runtime/debuggable.ts), only so that a
 * promise still pending at exit can be reported with where it was created. A local.Command has
 * 16 output properties: 64 stack traces per command, formatted at once, and under ts-node each
 * frame is mapped through source maps. For 1,000 nodes that is most of the program's time and
 * a quarter of its memory (figures: bench/program.bench.ts, docs/architecture.md).
 *
 * So resources are constructed with V8's stack capture off. What is lost: the stack of a
 * promise-leak report (it still names the resource and property) and the stack of an error
 * thrown while constructing (its message is kept; validation errors never carried one).
 * What is kept: the source position Pulumi records for each resource — the SDK's callsites()
 * raises the limit itself while it reads it. BULWARK_PROMISE_STACKS=1 keeps every stack, for
 * debugging the program.
 */
export function withoutPromiseStacks<T>(construct: () => T): T {
  if (process.env.BULWARK_PROMISE_STACKS === '1') return construct();
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return construct();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
