/**
 * The posture report as one self-contained HTML page (out/<stack>/posture.html): inline CSS and
 * SVG, no script, no external asset, no clock — the same report gives the same bytes. It opens
 * with a picture of the layers: one row per layer, one square per control, coloured by status,
 * with a strip along the bottom when a real system judged it (blue: verified, red: failed).
 * The picture's geometry is fixed (pictureLayout), so a screenshot can be checked square by square.
 */
import type { PostureControl, PostureReport, PostureStatus } from './report';
import { STATUSES, STATUS_MEANING, idRanges, judgement, layerSummaries, statusReason } from './summary';

export const STATUS_COLOUR: Record<PostureStatus, string> = {
  enforced: '#2e7d32',
  depends: '#f9a825',
  'not-applied': '#8e24aa',
  waived: '#ef6c00',
  'not-required': '#b0bec5',
  'not-applicable': '#e0e0e0',
};
export const JUDGE_COLOUR = { verified: '#1565c0', failed: '#c62828' } as const;
export const BACKGROUND = '#ffffff';

/** Where the picture puts things, in CSS pixels from the page's top-left corner. */
export const PICTURE = { top: 64, rowHeight: 44, labelWidth: 120, cell: 28, gap: 4, strip: 6, width: 1280 } as const;

export interface CellBox {
  control: string;
  layer: string;
  status: PostureStatus;
  verified?: 'verified' | 'failed';
  x: number;
  y: number;
}

/** Every control's square in the picture, row by row (layers in report order). */
export function pictureLayout(p: PostureReport): { rows: { layer: string; y: number }[]; cells: CellBox[]; height: number } {
  const layers = layerSummaries(p).map((s) => s.layer);
  const cells: CellBox[] = [];
  const rows = layers.map((layer, i) => {
    const y = PICTURE.top + i * PICTURE.rowHeight;
    p.controls
      .filter((c) => c.layer === layer)
      .forEach((c, j) => cells.push({ control: c.id, layer, status: c.status, ...(c.verified ? { verified: c.verified } : {}), x: PICTURE.labelWidth + j * (PICTURE.cell + PICTURE.gap), y }));
    return { layer, y };
  });
  return { rows, cells, height: PICTURE.top + layers.length * PICTURE.rowHeight + 70 };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function picture(p: PostureReport): string {
  const { rows, cells, height } = pictureLayout(p);
  const byId = new Map(p.controls.map((c) => [c.id, c]));
  const summaries = new Map(layerSummaries(p).map((s) => [s.layer, s]));
  const S: string[] = [];
  S.push(`<svg id="layers" width="${PICTURE.width}" height="${height}" viewBox="0 0 ${PICTURE.width} ${height}" shape-rendering="crispEdges" role="img" aria-label="Controls of ${esc(p.stack)} by layer, status and judge">`);
  S.push(`<rect x="0" y="0" width="${PICTURE.width}" height="${height}" fill="${BACKGROUND}"/>`);
  S.push(`<text x="16" y="30" class="h">Posture: ${esc(p.stack)}</text>`);
  S.push(`<text x="16" y="50" class="s">profile ${esc(p.profile)} · ${p.summary.enforced} enforced · ${p.summary.depends + p.summary.notApplied} not enforced · ${p.summary.waived} waived · ${p.summary.notRequired} not required</text>`);
  for (const r of rows) {
    const s = summaries.get(r.layer)!;
    const inRow = cells.filter((c) => c.layer === r.layer);
    S.push(`<g id="layer-${esc(r.layer)}" data-layer="${esc(r.layer)}" data-controls="${inRow.length}">`);
    S.push(`<text x="16" y="${r.y + 19}" class="l">${esc(r.layer)}</text>`);
    for (const c of inRow) {
      const ctl = byId.get(c.control)!;
      S.push(
        `<rect x="${c.x}" y="${r.y}" width="${PICTURE.cell}" height="${PICTURE.cell}" fill="${STATUS_COLOUR[c.status]}" data-control="${esc(c.control)}" data-status="${c.status}"><title>${esc(`${c.control}: ${c.status}; ${judgement(ctl)}`)}</title></rect>`,
      );
      if (c.verified) S.push(`<rect x="${c.x}" y="${r.y + PICTURE.cell - PICTURE.strip}" width="${PICTURE.cell}" height="${PICTURE.strip}" fill="${JUDGE_COLOUR[c.verified]}"/>`);
    }
    const after = PICTURE.labelWidth + inRow.length * (PICTURE.cell + PICTURE.gap) + 8;
    S.push(`<text x="${after}" y="${r.y + 19}" class="s">${s.counts.enforced}/${inRow.length} enforced · ${s.verified} verified${s.judges.length ? ` by ${esc(s.judges.join(', '))}` : ''}</text>`);
    S.push('</g>');
  }
  // legend
  const ly = PICTURE.top + rows.length * PICTURE.rowHeight + 16;
  let x = 16;
  const item = (fill: string, label: string) => {
    S.push(`<rect x="${x}" y="${ly}" width="14" height="14" fill="${fill}"/><text x="${x + 20}" y="${ly + 12}" class="s">${esc(label)}</text>`);
    x += 28 + label.length * 7;
  };
  for (const st of STATUSES) item(STATUS_COLOUR[st], st);
  item(JUDGE_COLOUR.verified, 'strip: verified by a real system');
  item(JUDGE_COLOUR.failed, 'strip: failed');
  S.push('</svg>');
  return S.join('\n');
}

const CSS = `
body{margin:0;background:${BACKGROUND};color:#1b1b1b;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
svg text{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;fill:#1b1b1b}
svg .h{font-size:22px;font-weight:600} svg .l{font-size:15px;font-weight:600} svg .s{font-size:12px;fill:#444}
main{padding:0 16px 32px;max-width:1168px}
table{border-collapse:collapse;margin:8px 0 16px} th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa} code{font-size:12px} .st{display:inline-block;width:10px;height:10px;margin-right:6px}
blockquote{margin:8px 0;padding:4px 12px;border-left:4px solid #d0d7de;color:#444}
details{margin:4px 0} summary{cursor:pointer}`;

function controlRow(c: PostureControl): string {
  const refs = Object.entries(c.references).map(([k, v]) => `${k.toUpperCase()} ${v.join(', ')}`).join('; ');
  const what = [...c.evidence, ...(c.dependencies ?? []).map((d) => `depends on ${d.what}: ${d.detail}`), ...c.notes.map((n) => `note: ${n}`)];
  const reason = statusReason(c);
  return `<tr data-control="${esc(c.id)}"><td><code>${esc(c.id)}</code></td><td><span class="st" style="background:${STATUS_COLOUR[c.status]}"></span>${c.status}${reason && c.status !== 'not-required' ? `<br><small>${esc(reason)}</small>` : ''}</td><td>${esc(judgement(c))}</td><td><details><summary>${esc(c.title)}</summary><p>Threat: ${esc(c.threat)}</p>${what.length ? `<ul>${what.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : ''}</details></td><td>${esc(refs)}</td></tr>`;
}

export function postureHtml(p: PostureReport): string {
  const H: string[] = [];
  H.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', `<title>Posture: ${esc(p.stack)}</title>`, `<style>${CSS}</style>`, '</head>', '<body>');
  H.push(picture(p), '<main>');
  H.push(`<p>Profile <b>${esc(p.profile)}</b> (site: ${esc(p.site)}) · Talos ${esc(p.talosVersion)} (contract ${esc(p.contract)}) · Kubernetes ${esc(p.kubernetesVersion)}${p.mode === 'existing-cluster' ? ' · <b>existing cluster</b>' : ''}</p>`);
  H.push(`<blockquote>${esc(p.threat)}</blockquote>`);
  H.push('<h2>Summary</h2>', '<table id="summary"><tr><th>Layer</th><th>Enforced</th><th>verified</th><th>not verified</th><th>Depends</th><th>Not applied</th><th>Waived</th><th>Not required</th><th>Not applicable</th><th>Judges</th></tr>');
  for (const s of layerSummaries(p)) {
    const c = s.counts;
    H.push(`<tr data-layer="${esc(s.layer)}"><td>${esc(s.layer)}</td><td><b>${c.enforced}</b></td><td>${s.verified}</td><td>${s.notVerified}</td><td>${c.depends}</td><td>${c['not-applied']}</td><td>${c.waived}</td><td>${c['not-required']}</td><td>${c['not-applicable']}</td><td>${esc(s.judges.join(', ') || '—')}</td></tr>`);
  }
  H.push('</table>', '<details><summary>What each status means</summary><ul>');
  for (const [k, v] of Object.entries(STATUS_MEANING)) H.push(`<li><b>${k}</b>: ${esc(v)}.</li>`);
  H.push('</ul></details>');
  const attention = p.controls.filter((c) => c.verified === 'failed' || ['depends', 'not-applied', 'waived'].includes(c.status));
  if (attention.length) {
    H.push('<h2>Needs attention</h2>', '<ul id="attention">');
    for (const c of attention) H.push(`<li><code>${esc(c.id)}</code> — ${c.verified === 'failed' ? `${esc(judgement(c))}; ` : ''}${esc(statusReason(c) || c.status)}</li>`);
    H.push('</ul>');
  }
  H.push('<h2>Controls</h2>');
  for (const s of layerSummaries(p)) {
    H.push(`<h3>${esc(s.layer)}</h3>`, '<table><tr><th>Control</th><th>Status</th><th>Judge</th><th>Title (threat and what it configures)</th><th>References</th></tr>');
    for (const c of p.controls.filter((x) => x.layer === s.layer)) H.push(controlRow(c));
    H.push('</table>');
  }
  H.push('<h2>CIS Kubernetes Benchmark 1.12</h2>');
  if (!p.cis.evaluated) H.push(`<p>Not evaluated: ${esc(p.cis.reason ?? "kube-bench's cis-1.12 definitions were not found.")}</p>`);
  else {
    H.push(`<p>${Object.entries(p.cis.counts!).map(([k, v]) => `${esc(k)}: ${v}`).join(' · ')}</p>`, '<table><tr><th>Result</th><th>Checks</th><th>Why</th></tr>');
    const groups = new Map<string, typeof p.cis.results>();
    for (const r of p.cis.results) {
      const k = `${r.verdict}\0${r.reason ?? r.detail}`;
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    for (const [k, rows] of groups) {
      const [verdict, why] = k.split('\0');
      H.push(`<tr><td>${esc(verdict)}</td><td>${esc(idRanges(rows.map((r) => r.id)))}</td><td>${esc(why)}</td></tr>`);
    }
    H.push('</table>');
  }
  if (p.tenants.length) H.push(`<h2>Tenants (${p.tenants.length})</h2>`, `<p>${esc(p.tenants.join(', '))}</p>`);
  H.push('<h2>Nodes</h2>', '<table><tr><th>Node</th><th>Role</th><th>Installer</th></tr>');
  for (const n of p.nodes) H.push(`<tr><td>${esc(n.name)}</td><td>${esc(n.role)}</td><td><code>${esc(n.installer)}</code></td></tr>`);
  H.push('</table>', '</main>', '</body>', '</html>');
  return `${H.join('\n')}\n`;
}
