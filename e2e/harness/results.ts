/** Claims checked by the e2e suite → VerificationResults (core/posture/report.ts) and a printed table. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { VerificationResults } from '../../core/posture/report';

type Claim = VerificationResults['stacks'][string]['claims'][number];

export class Results {
  readonly data: VerificationResults;

  /** `judge`: the outside engine that checks these claims (e.g. `cyclonus v0.5.6`); none = the real control plane. */
  constructor(kubernetesVersion: string, readonly judge?: string) {
    this.data = { kubernetesVersion, stacks: {} };
  }

  stack(name: string, profile: string): void {
    this.data.stacks[name] ??= { profile, claims: [] };
  }

  record(stack: string, claim: string, controls: string[], status: Claim['status'], detail?: string): void {
    const s = this.data.stacks[stack];
    if (!s) throw new Error(`unknown stack ${stack}`);
    s.claims.push({ claim, controls, status, ...(detail ? { detail } : {}), ...(this.judge ? { judge: this.judge } : {}) });
  }

  /**
   * Runs `check`; records the claim verified (with the detail it returns) or failed (with the error)
   * and rethrows, so the jest test fails too.
   */
  async claim(stack: string, claim: string, controls: string[], check: () => Promise<string | void>): Promise<void> {
    try {
      const detail = await check();
      this.record(stack, claim, controls, 'verified', detail || undefined);
    } catch (e) {
      this.record(stack, claim, controls, 'failed', String((e as Error).message ?? e).slice(0, 2000));
      throw e;
    }
  }

  /** Writes this run's claims; the claims other judges left in the file (another test file's run) stay. */
  write(path: string): void {
    mkdirSync(dirname(path), { recursive: true });
    let prev: VerificationResults | undefined;
    try { prev = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as VerificationResults) : undefined; } catch { prev = undefined; }
    const out: VerificationResults = { kubernetesVersion: this.judge && prev ? prev.kubernetesVersion : this.data.kubernetesVersion, stacks: {} };
    for (const [name, s] of Object.entries(prev?.stacks ?? {})) {
      const others = s.claims.filter((c) => c.judge !== this.judge);
      if (others.length) out.stacks[name] = { profile: s.profile, claims: others };
    }
    for (const [name, s] of Object.entries(this.data.stacks))
      out.stacks[name] = { profile: s.profile, claims: [...(out.stacks[name]?.claims ?? []), ...s.claims] };
    writeFileSync(path, `${JSON.stringify(out, null, 2)}\n`);
  }

  table(): string {
    const stacks = Object.keys(this.data.stacks);
    const claims = [...new Set(stacks.flatMap((s) => this.data.stacks[s].claims.map((c) => c.claim)))];
    const cell = (s: string, c: string) => {
      const found = this.data.stacks[s].claims.filter((x) => x.claim === c);
      if (!found.length) return '—';
      return found.some((x) => x.status === 'failed') ? 'FAILED' : 'verified';
    };
    const head = ['claim', ...stacks.map((s) => `${s} (${this.data.stacks[s].profile})`)];
    const rows = claims.map((c) => [c, ...stacks.map((s) => cell(s, c))]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => `| ${r.map((x, i) => x.padEnd(widths[i])).join(' | ')} |`;
    return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
  }
}
