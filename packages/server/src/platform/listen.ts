import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

export interface Listening {
  /** The URL the server actually listens on (useful with port 0). */
  url: string;
  port: number;
  /**
   * Stop accepting connections, let in-flight requests finish for up to `graceMs`, then drop
   * whatever is left. Resolves when the listener is closed.
   */
  close(graceMs: number): Promise<void>;
}

export function listen(
  fetch: (request: Request, env?: unknown) => Promise<Response> | Response,
  port: number,
  host: string,
): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port, hostname: host }) as Server;
    server.once('error', reject);
    server.once('listening', () => {
      const address = server.address() as AddressInfo;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shownHost}:${address.port}`,
        port: address.port,
        close(graceMs) {
          return new Promise((done) => {
            const force = setTimeout(() => server.closeAllConnections(), graceMs);
            // Keep-alive sockets with no request in flight would hold close() open, and a socket
            // becomes idle again when its in-flight request finishes: sweep until closed.
            const sweep = setInterval(() => server.closeIdleConnections(), 50);
            force.unref();
            sweep.unref();
            server.close(() => {
              clearTimeout(force);
              clearInterval(sweep);
              done();
            });
            server.closeIdleConnections();
          });
        },
      });
    });
  });
}
