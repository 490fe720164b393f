/**
 * The e2e harness's freePort (e2e/harness/proc.ts). It once returned a port of the kernel's ephemeral
 * range (listen on port 0), which a client connection's source port could take before the server
 * bound it: a kube-scheduler failed with "address already in use" when the engine suite ran in two
 * workers. Ports now come from below that range, from the worker's own slice, and are free when given.
 */
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { freePort, portSlice } from '../e2e/harness/proc';

const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

test('ports are below the ephemeral range, in this worker\'s slice, and distinct', async () => {
  const { first, size } = portSlice();
  const ports = [];
  for (let i = 0; i < 50; i++) ports.push(await freePort());
  expect(new Set(ports).size).toBe(50);
  for (const p of ports) {
    expect(p).toBeLessThan(ephemeralLow);
    expect(p).toBeGreaterThanOrEqual(first);
    expect(p).toBeLessThan(first + size);
  }
});

test('workers get slices that do not overlap', () => {
  const saved = process.env.JEST_WORKER_ID;
  try {
    const slices = [1, 2, 3, 4, 5, 6, 7, 8].map((w) => { process.env.JEST_WORKER_ID = String(w); return portSlice(); });
    for (let i = 1; i < slices.length; i++) expect(slices[i].first).toBeGreaterThanOrEqual(slices[i - 1].first + slices[i - 1].size);
    const last = slices[slices.length - 1];
    expect(last.first + last.size).toBeLessThanOrEqual(ephemeralLow);
  } finally {
    if (saved === undefined) delete process.env.JEST_WORKER_ID;
    else process.env.JEST_WORKER_ID = saved;
  }
});

test('a port someone listens on is never given', async () => {
  const { first, size } = portSlice();
  // occupy the whole slice but one port: freePort must find that one
  const servers: Server[] = [];
  const spare = first + Math.floor(size / 2);
  const listen = (port: number) => new Promise<void>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve()); // taken by someone else already: also not free
    s.listen(port, '127.0.0.1', () => { servers.push(s); resolve(); });
  });
  try {
    for (let p = first; p < first + size; p++) if (p !== spare) await listen(p);
    expect(await freePort()).toBe(spare);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
});
