/**
 * TCP forwarders on the site bridge's host address (198.18.0.1) to services that listen on 127.0.0.1 only
 * (the API server, the registry): the nodes reach them as a Talos node reaches its cluster endpoint, without
 * the control plane binding anything beyond loopback. Bytes pass through unchanged (TLS end to end).
 */
import { Server, Socket, createServer, connect } from 'node:net';

export interface Forward { port: number; close(): Promise<void> }

export function forward(listenHost: string, targetPort: number, targetHost = '127.0.0.1'): Promise<Forward> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    sockets.add(client).add(upstream);
    const done = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, listenHost, () => {
      const { port } = server.address() as { port: number };
      resolve({
        port,
        close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
      });
    });
  });
}
