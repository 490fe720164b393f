/** Where the end-to-end suite leaves its results, and reading them back for the posture report. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VerificationResults } from './report';

export function verificationPath(repoRoot: string): string {
  return process.env.BULWARK_E2E_RESULTS ?? join(repoRoot, 'out', 'e2e', 'results.json');
}

export function loadVerification(repoRoot: string): VerificationResults | undefined {
  const p = verificationPath(repoRoot);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as VerificationResults;
  } catch {
    return undefined;
  }
}
