/**
 * Every rendering of the posture report by format name, and the file render writes for each
 * (out/<stack>/posture.<ext>). `bulwark posture --format <name>` and render share this table.
 */
import { postureHtml } from './html';
import { postureJunit } from './junit';
import { PostureReport, postureMarkdown } from './report';
import { SarifOptions, postureSarif } from './sarif';

export const POSTURE_FORMATS = {
  md: { file: 'posture.md', render: (p: PostureReport) => postureMarkdown(p) },
  json: { file: 'posture.json', render: (p: PostureReport) => `${JSON.stringify(p, null, 2)}\n` },
  html: { file: 'posture.html', render: (p: PostureReport) => postureHtml(p) },
  sarif: { file: 'posture.sarif', render: (p: PostureReport, o?: SarifOptions) => postureSarif(p, o) },
  junit: { file: 'posture.junit.xml', render: (p: PostureReport) => postureJunit(p) },
} as const;

export type PostureFormat = keyof typeof POSTURE_FORMATS;

export const isPostureFormat = (f: string): f is PostureFormat => Object.prototype.hasOwnProperty.call(POSTURE_FORMATS, f);

/** The report in one format; SARIF names the stack file it points at (default stacks/Pulumi.<stack>.yaml). */
export function renderPosture(p: PostureReport, format: PostureFormat, sarif?: SarifOptions): string {
  return format === 'sarif' ? POSTURE_FORMATS.sarif.render(p, sarif) : POSTURE_FORMATS[format].render(p);
}

/** Every posture file render writes, in a fixed order. */
export function postureFiles(p: PostureReport): { path: string; content: string }[] {
  return (Object.keys(POSTURE_FORMATS) as PostureFormat[]).map((f) => ({ path: POSTURE_FORMATS[f].file, content: renderPosture(p, f) }));
}
