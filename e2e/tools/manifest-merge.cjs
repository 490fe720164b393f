// Merges the outside judges' entries (talosctl.sh, talos-compute.sh, cyclonus.sh) into <cache>/manifest.json.
// Usage: BULWARK_M_CACHE=<cache> BULWARK_M_VERSIONS="v1.13.9 v1.14.1" [BULWARK_M_FAILED="..."] node manifest-merge.cjs talosctl|talos-compute|cyclonus
const fs = require('node:fs');
const path = require('node:path');

const [tool] = process.argv.slice(2);
const cache = process.env.BULWARK_M_CACHE;
const file = path.join(cache, 'manifest.json');
const versions = (process.env.BULWARK_M_VERSIONS || '').split(' ').filter(Boolean);
const failed = (process.env.BULWARK_M_FAILED || '').split(' ').filter(Boolean);

const stamp = (dir) => {
  try {
    const kv = Object.fromEntries(fs.readFileSync(path.join(dir, '.stamp'), 'utf8').split('\n').slice(1).filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    return { source: kv.source, buildSeconds: Number(kv.seconds), installedAt: kv.date };
  } catch { return null; }
};

// talosctl-1.13 / talosctl-1.14, talos-compute-1.13 / -1.14 (one per Talos line), cyclonus
const entries = versions.map((v) => {
  const dir = path.join(cache, tool, v);
  const name = tool === 'cyclonus' ? tool : `${tool}-${v.replace(/^v/, '').split('.').slice(0, 2).join('.')}`;
  const p = path.join(dir, tool);
  const s = stamp(dir);
  const extra = {};
  if (tool === 'talosctl' || tool === 'talos-compute') {
    extra.judge = tool === 'talosctl' ? 'talosctl validate' : "Talos's controllers, in memory (e2e/tools/talos-compute)";
    try { extra.substitutions = fs.readFileSync(path.join(dir, 'substitutions.txt'), 'utf8').split('\n').filter(Boolean); } catch { extra.substitutions = []; }
  } else {
    extra.judge = 'cyclonus';
    extra.usage = 'analyze --policy-path <dir of one-policy files> --mode probe --probe-path <model.json>: a multi-document file yields only its last policy';
  }
  return [name, s && fs.existsSync(p) ? { version: v, path: p, ...s, ...extra } : null];
});

let m = { schema: 1, cache, binDir: path.join(cache, 'bin'), tools: {}, missing: [] };
try { m = JSON.parse(fs.readFileSync(file, 'utf8')); } catch {}
const ours = entries.map(([n]) => n);
for (const [n, e] of entries) { if (e) m.tools[n] = e; else delete m.tools[n]; }
m.missing = [...(m.missing || []).filter((t) => !ours.includes(t)), ...ours.filter((n) => failed.some((f) => n.startsWith(f)))];
fs.writeFileSync(`${file}.${process.pid}.tmp`, `${JSON.stringify(m, null, 2)}\n`);
fs.renameSync(`${file}.${process.pid}.tmp`, file);
