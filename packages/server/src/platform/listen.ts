import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';

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

/**
 * Serve `fetch` (through @hono/node-server) on `host:port`. `direct`, when given, sees every
 * request first and may answer it itself, returning true (PylonServer.direct).
 */
export function listen(
  fetch: (request: Request, env?: unknown) => Promise<Response> | Response,
  port: number,
  host: string,
  direct: ((request: IncomingMessage, response: ServerResponse) => boolean) | null = null,
): Promise<Listening> {
  return new Promise((resolve, reject) => {
    const adapter = getRequestListener(fetch, { hostname: host });
    const server: Server = createServer(
      direct === null
        ? adapter
        : (request, response) => {
            if (!direct(request, response)) void adapter(request, response);
          },
    );
    server.listen(port, host);
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
