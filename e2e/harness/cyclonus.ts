/**
 * cyclonus (github.com/mattfenwick/cyclonus) as the judge of NetworkPolicy semantics: it simulates the
 * policies on a model of pods and answers which connections they allow. Nothing is sent anywhere.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findJudge } from './tools';

export interface ModelPod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ip: string;
}

/** A port every model pod serves; cyclonus only probes ports the target declares. */
export interface PortProtocol { port: number; protocol: 'TCP' | 'UDP' }

export interface Matrices {
  /** `${from} -> ${to}` (pods as `ns/name`) -> allowed, per port as `53/UDP` */
  ingress: Map<string, boolean>;
  egress: Map<string, boolean>;
  combined: Map<string, boolean>;
}

/** One connection with a peer outside the cluster (no pod: an IP only). */
export interface ExternalTraffic { pod: ModelPod; outside: string; port: PortProtocol; direction: 'to-outside' | 'from-outside' }

const judge = findJudge('cyclonus');
export const cyclonusVersion = 'absent' in judge ? undefined : judge.version;
export const cyclonusAbsent = 'absent' in judge ? judge.absent : undefined;

// cyclonus reads policies from files only (no cluster needed); it still runs without a network where it can.
const isolate = spawnSync('unshare', ['-n', 'true']).status === 0;

function run(args: string[]): string {
  if ('absent' in judge) throw new Error(judge.absent);
  const [cmd, argv] = isolate ? ['unshare', ['-n', judge.path, ...args]] : [judge.path, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() } });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`cyclonus ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).slice(0, 2000)}`);
  return r.stdout;
}

export class Cyclonus {
  private readonly dir = mkdtempSync(join(tmpdir(), 'bulwark-cyclonus-'));
  private readonly policyDir = join(this.dir, 'policies');

  /** One policy per file: cyclonus parses a file as one object, so a multi-document file yields only its last policy. */
  constructor(policies: Array<{ metadata?: unknown }>) {
    mkdirSync(this.policyDir);
    policies.forEach((p, i) => writeFileSync(join(this.policyDir, `${String(i).padStart(3, '0')}.json`), JSON.stringify(p)));
  }

  /** `ns/name` of every policy cyclonus read (its `--mode parse` table). */
  parsedPolicies(): string[] {
    return [...run(['analyze', '--policy-path', this.policyDir, '--mode', 'parse']).matchAll(/^\| ([a-z0-9.-]+\/[a-z0-9.-]+) +\|/gm)].map((m) => m[1]);
  }

  /** The connectivity matrices between every pair of `pods` (self included), per port. */
  probe(namespaces: Record<string, Record<string, string>>, pods: ModelPod[], ports: PortProtocol[]): Matrices {
    const containers = ports.map((p) => ({ Name: `${p.protocol.toLowerCase()}-${p.port}`, Port: p.port, Protocol: p.protocol, PortName: `serve-${p.port}-${p.protocol.toLowerCase()}` }));
    const model = {
      Resources: { Namespaces: namespaces, Pods: pods.map((p) => ({ Namespace: p.namespace, Name: p.name, Labels: p.labels, IP: p.ip, Containers: containers })) },
      Probes: ports.map((p) => ({ Port: p.port, Protocol: p.protocol })),
    };
    const file = join(this.dir, 'model.json');
    writeFileSync(file, JSON.stringify(model));
    const out = run(['analyze', '--policy-path', this.policyDir, '--mode', 'probe', '--probe-path', file]);
    const m: Matrices = { ingress: new Map(), egress: new Map(), combined: new Map() };
    // stdout: per probe, in the model's order, three tables (Ingress, Egress, Combined), then one empty set for
    // the pods of a cluster (none here). Rows are sources, columns destinations (upper-cased), "." allowed, "X" denied.
    const sections = out.split(/^Ingress:\n/m).slice(1).map((s) => `Ingress:\n${s}`).slice(0, ports.length);
    if (sections.length !== ports.length) throw new Error(`cyclonus printed ${sections.length} probes, expected ${ports.length}:\n${out.slice(0, 2000)}`);
    for (const [n, section] of sections.entries()) {
      const port = `${ports[n].port}/${ports[n].protocol}`;
      for (const [title, target] of [['Ingress', m.ingress], ['Egress', m.egress], ['Combined', m.combined]] as const) {
        const table = section.split(`${title}:\n`)[1]?.split('\n\n')[0] ?? '';
        const rows = table.split('\n').filter((l) => l.startsWith('|')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
        const [header, ...body] = rows;
        const cols = header.slice(1).map((c) => c.toLowerCase());
        for (const r of body) r.slice(1).forEach((cell, i) => {
          if (cell !== '.' && cell !== 'X') throw new Error(`cyclonus ${title} ${r[0]} -> ${cols[i]} on ${port}: "${cell}"`);
          target.set(`${r[0]} -> ${cols[i]} ${port}`, cell === '.');
        });
      }
    }
    return m;
  }

  /** Whether each connection with the outside is allowed (its `--mode query-traffic`). */
  external(traffic: ExternalTraffic[], namespaces: Record<string, Record<string, string>>): boolean[] {
    const peer = (p: ModelPod) => ({ Internal: { PodLabels: p.labels, NamespaceLabels: namespaces[p.namespace], Namespace: p.namespace }, IP: p.ip });
    const body = traffic.map((t) => {
      const [src, dst] = t.direction === 'to-outside' ? [peer(t.pod), { IP: t.outside }] : [{ IP: t.outside }, peer(t.pod)];
      return { Source: src, Destination: dst, ResolvedPort: t.port.port, ResolvedPortName: '', Protocol: t.port.protocol };
    });
    const file = join(this.dir, 'traffic.json');
    writeFileSync(file, JSON.stringify(body));
    const answers = [...run(['analyze', '--policy-path', this.policyDir, '--mode', 'query-traffic', '--traffic-path', file]).matchAll(/\| IS ALLOWED\? \| +(TRUE|FALSE) +\|/g)].map((x) => x[1] === 'TRUE');
    if (answers.length !== traffic.length) throw new Error(`cyclonus answered ${answers.length} of ${traffic.length} traffic queries`);
    return answers;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
