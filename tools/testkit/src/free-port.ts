import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * A free loopback port, for a server that must be given one rather than 0 (PostgreSQL;
 * uWebSockets.js sets SO_REUSEADDR only when given a port, so an edge that must restart
 * on the same port has to be given one from the start). Another process can take it
 * before it is bound: callers that can, retry.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
