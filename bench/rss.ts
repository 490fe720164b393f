/**
 * Peak memory of processes a benchmark starts, for Linux (/proc).
 *
 *   treePeak   samples, every `everyMs`, the summed RSS of this process's descendants whose command
 *              name matches (the Pulumi CLI and its plugins, not the control plane beside them):
 *              the peak of the sum, which /usr/bin/time's figure (the largest single process) is not;
 *              and the CPU time each of them used (user + system, as last seen), by command name.
 *   selfPeak   this process's own peak RSS since the last reset (VmHWM, reset by writing 5 to
 *              /proc/self/clear_refs), so each measured operation gets its own peak.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { descendants, processTable } from '../e2e/harness/processes';

/** Clock ticks per second (USER_HZ), 100 on every Linux build that matters here. */
const TICKS = 100;

/**
 * Starts sampling; `stop()` returns the peak summed RSS in MB of matching descendants of this
 * process, and `cpu()` the CPU seconds each command name used while sampled (a process that
 * lived less than one interval may be missed).
 */
export function treePeak(match: RegExp, everyMs = 250): { stop(): number; cpu(): Record<string, number> } {
  let peakKB = 0;
  const lastTicks = new Map<number, { comm: string; ticks: number }>();
  const sample = () => {
    let sum = 0;
    for (const c of descendants(processTable(), [process.pid])) {
      if (!match.test(c.name)) continue;
      sum += c.rssKB;
      lastTicks.set(c.pid, { comm: c.name, ticks: c.cpuTicks });
    }
    peakKB = Math.max(peakKB, sum);
  };
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peakKB / 1024;
    },
    cpu() {
      const by: Record<string, number> = {};
      for (const { comm, ticks } of lastTicks.values()) by[comm] = (by[comm] ?? 0) + ticks / TICKS;
      return by;
    },
  };
}

/** Resets this process's peak RSS (VmHWM). */
export function resetSelfPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

/** This process's peak RSS in MB since start or the last resetSelfPeak(). */
export function selfPeak(): number {
  return parseInt(/^VmHWM:\s*(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1], 10) / 1024;
}
