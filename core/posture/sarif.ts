/**
 * The posture report as SARIF 2.1.0 (out/<stack>/posture.sarif) for code-scanning dashboards.
 * Every control is a rule; a result is each control that is not enforced though required, or
 * that a real system failed: depends and not-applied as warnings, a failed verification as an
 * error, a waiver as a note carrying an accepted external suppression with its reason (SARIF's
 * own word for a waiver). Located on the stack file (a profile's waiver on the profile's file).
 * No clock, no absolute path: the same report gives the same bytes.
 */
import type { PostureControl, PostureReport } from './report';
import { judgement, statusReason } from './summary';

export interface SarifOptions {
  /** The stack file, relative to the repository root (default stacks/Pulumi.<stack>.yaml). */
  stackFile?: string;
  /** Bulwark's version (package.json). */
  version?: string;
}

type Level = 'error' | 'warning' | 'note';

function resultFor(c: PostureControl): { level: Level; text: string } | undefined {
  if (c.verified === 'failed') return { level: 'error', text: `${c.id}: ${judgement(c)}${c.status !== 'enforced' ? `; ${statusReason(c)}` : ''}` };
  if (c.status === 'depends') return { level: 'warning', text: `${c.id} is configured but not enforced: ${c.reason ?? ''}` };
  if (c.status === 'not-applied') return { level: 'warning', text: `${c.id} is required but ${statusReason(c)}` };
  if (c.status === 'waived') return { level: 'note', text: `${c.id} is ${statusReason(c)}` };
  return undefined;
}

export function postureSarif(p: PostureReport, opts: SarifOptions = {}): string {
  const stackFile = opts.stackFile ?? `stacks/Pulumi.${p.stack}.yaml`;
  const rules = p.controls.map((c) => ({
    id: c.id,
    shortDescription: { text: c.title },
    fullDescription: { text: c.threat },
    defaultConfiguration: { level: 'warning' },
    properties: { layer: c.layer, tags: [c.layer, ...Object.keys(c.references)], references: c.references },
  }));
  const results = p.controls.flatMap((c, ruleIndex) => {
    const r = resultFor(c);
    if (!r) return [];
    const byProfile = c.status === 'waived' && (c.by ?? '').startsWith('profile ');
    const uri = byProfile ? `profiles/${(c.by ?? '').slice('profile '.length)}.yaml` : stackFile;
    return [
      {
        ruleId: c.id,
        ruleIndex,
        level: r.level,
        kind: 'fail',
        message: { text: r.text },
        locations: [{ physicalLocation: { artifactLocation: { uri } }, logicalLocations: [{ name: c.id, kind: 'module' }] }],
        partialFingerprints: { 'bulwarkControl/v1': `${p.stack}/${c.id}` },
        ...(c.status === 'waived' ? { suppressions: [{ kind: 'external', status: 'accepted', justification: statusReason(c) }] } : {}),
        properties: { status: c.status, ...(c.verified ? { verified: c.verified, judges: c.judges ?? [] } : {}) },
      },
    ];
  });
  const log = {
    // no $schema: it is optional, and a rendered file names no host (an air-gapped site's check)
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'bulwark', ...(opts.version ? { version: opts.version } : {}), rules } },
        automationDetails: { id: `bulwark/posture/${p.stack}/` },
        columnKind: 'unicodeCodePoints',
        results,
        properties: { stack: p.stack, profile: p.profile, mode: p.mode, summary: p.summary },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
