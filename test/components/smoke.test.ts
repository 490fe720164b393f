import { runExample } from './harness';
test('smoke', async () => {
  const t = Date.now();
  const run = await runExample('prod');
  console.log(Date.now() - t, run.error, run.registrations.length, run.registrations.map((r) => `${r.type} ${r.name} deps=${r.dependencies.length}`).join('\n'));
  console.log(JSON.stringify(run.stackOutputs).slice(0, 2000));
});
