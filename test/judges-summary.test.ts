/** `npm test` says at the end of the run when the Talos judges are absent (test/judges-summary.ts, jest's globalTeardown). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

async function summaryWith(env: Record<string, string | undefined>): Promise<string> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  const out: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  try {
    let run: () => Promise<void> = async () => undefined;
    jest.isolateModules(() => { run = (require('./judges-summary') as { default: () => Promise<void> }).default; });
    await run();
    return out.join('');
  } finally {
    write.mockRestore();
    process.env = saved;
  }
}

it('with no toolchain, the run ends saying which judges are absent and that their tests were skipped', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'bulwark-no-toolchain-'));
  try {
    const text = await summaryWith({ BULWARK_E2E_CACHE: empty, BULWARK_REQUIRE_JUDGES: undefined });
    expect(text).toMatch(/NOT JUDGED: .* were SKIPPED\. Build them with `npm run e2e:tools`/s);
    for (const j of ['talosctl-1.13', 'talosctl-1.14', 'talos-compute-1.13', 'talos-compute-1.14']) expect(text).toContain(`- ${j}: no ${empty}/manifest.json`);
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

it('says nothing when the judges are required (CI: their tests fail instead of skipping)', async () => {
  expect(await summaryWith({ BULWARK_E2E_CACHE: '/nonexistent', BULWARK_REQUIRE_JUDGES: '1' })).toBe('');
});
