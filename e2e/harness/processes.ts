/**
 * The process table, from Linux's /proc: what the tests and benchmarks read to find the processes
 * they started (and what those started), their state, memory and CPU.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** the command name (/proc/<pid>/status Name: at most 15 characters) */
  name: string;
  /** R, S, D, Z (a zombie: ended, not yet reaped), ... */
  state: string;
  rssKB: number;
  /** utime + stime, in clock ticks */
  cpuTicks: number;
}

export function processTable(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const status = readFileSync(`/proc/${d}/status`, 'utf8');
      const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
      // /proc/<pid>/stat: fields after the parenthesised name; utime and stime are the 14th and 15th
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({
        pid: Number(d), ppid: Number(field('PPid')), name: field('Name'), state: field('State').charAt(0),
        rssKB: parseInt(field('VmRSS'), 10) || 0, cpuTicks: Number(rest[11]) + Number(rest[12]),
      });
    } catch {
      // the process ended while we read it
    }
  }
  return out;
}

/** Every process below `roots` in `table` (children, their children, ...), the roots left out. */
export function descendants(table: ProcessInfo[], roots: number[]): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const p of table) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcessInfo[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c);
      walk(c.pid);
    }
  };
  for (const r of roots) walk(r);
  return out;
}
