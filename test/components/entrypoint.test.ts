/**
 * index.ts as Pulumi's Node runtime loads it (@pulumi/pulumi/cmd/run: require the entry module,
 * an await later use its export, calling it if it is a function, with an unhandledRejection
 * handler installed): invalid config fails with the validation message and no
 * PromiseRejectionHandledWarning (a promise made at load time, rejected, handled only later).
 */
import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../../core/stack';

const HOST = `
  const pulumi = require('@pulumi/pulumi');
  const warnings = [];
  process.on('warning', (w) => warnings.push(w.name));
  process.on('unhandledRejection', () => {}); // the runtime logs these as program errors
  pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: (a) => a.inputs }, 'bulwark', 'prod', true);
  pulumi.runtime.setAllConfig({ 'bulwark:profile': 'single-team', 'bulwark:cluster': '{"name":"x"}', 'bulwark:nodez': '[]' }, []);
  (async () => {
    const exp = require('./index.ts');
    await new Promise((r) => setTimeout(r, 50));
    let message = '';
    try { await (typeof exp === 'function' ? exp() : exp); } catch (e) { message = e.message; }
    await new Promise((r) => setTimeout(r, 50));
    process.stdout.write(JSON.stringify({ message, warnings }));
  })();`;

test('invalid config: the validation error, and no PromiseRejectionHandledWarning', () => {
  const r = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', HOST], { cwd: REPO_ROOT, encoding: 'utf8' });
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout) as { message: string; warnings: string[] };
  expect(out.message).toMatch(/^stack "prod" is invalid/);
  expect(out.message).toContain('bulwark:nodez');
  expect(out.warnings).not.toContain('PromiseRejectionHandledWarning');
}, 60_000);
