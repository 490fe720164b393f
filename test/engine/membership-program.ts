/**
 * The stack program of test/engine/membership.test.ts: the membership check and record of components/program.ts
 * alone. As a child process (`membership-program.ts <project> <stack> <base>`): one preview, printing {"error": "..."}
 * (preview-child.ts; a program that refuses its stack rejects promises the Automation API's in-process host leaves unhandled, which
 * would fail the test file; the CLI's language host ends the process instead, and so does this one).
 */
import { previewAndExit } from './preview-child';

export const membershipProgram = async (): Promise<Record<string, unknown>> => {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { loadValidStack } = require('../../components/config') as typeof import('../../components/config');
  const { checkMembership, previousMembership } = require('../../components/membership') as typeof import('../../components/membership');
  const { membersOf } = require('../../core/config/membership') as typeof import('../../core/config/membership');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const valid = loadValidStack();
  checkMembership(valid.name, await previousMembership(), valid.stack);
  return { controlPlanes: membersOf(valid.stack) };
};

if (require.main === module) void previewAndExit(membershipProgram);
