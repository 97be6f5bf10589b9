import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { type Actor, type PylonClient, pylonGuard, pylonResourceMetadata } from '@pylon/sdk/verify';
import { Hono } from 'hono';
import { createNotesServer } from './notes-server.js';
import type { NotesStore } from './notes-store.js';

/**
 * The notes server over MCP Streamable HTTP at `/mcp`. Every request must carry a scoped token of
 * the `notes` app, or (when the client was made with `resource`) an OAuth access token Pylon
 * issued for this server (`Authorization: Bearer …`): without one it is refused with 401 before
 * MCP sees it; each tool then checks its own capability. With `resource`, the 401 names this
 * server's RFC 9728 metadata, served here, which points OAuth clients at Pylon.
 */
export function createNotesHTTPApp(options: {
  client: PylonClient;
  store: NotesStore;
  /**
   * Browser origins allowed to call `/mcp` (default: the resource URL's own origin, if any). A
   * request that carries any other `Origin` is refused with 403 before anything else, against DNS
   * rebinding (MCP transports spec, "Security Warning"); requests without `Origin` (not from a
   * browser) are not affected.
   */
  allowedOrigins?: readonly string[];
}) {
  const app = new Hono<{ Variables: { pylonActor: Actor } }>();
  const resource = options.client.resource;
  const allowedOrigins = new Set(options.allowedOrigins ?? (resource ? [new URL(resource).origin] : []));
  app.use('/mcp', async (c, next) => {
    const origin = c.req.header('origin');
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      return c.json({ error: 'origin_not_allowed', message: 'Requests from this origin are refused' }, 403);
    }
    await next();
    return undefined;
  });
  if (resource !== undefined) {
    const metadata = pylonResourceMetadata(options.client, { resourceName: 'Pylon notes' });
    app.get(metadata.path, metadata.hono);
  }
  app.use('/mcp', pylonGuard(options.client).hono);
  app.all('/mcp', async (c) => {
    // Stateless mode (no MCP session id): any process behind a load balancer can answer any
    // request, and the person is re-established from the token every time.
    const server = createNotesServer({ client: options.client, store: options.store, identity: 'bearer' });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      await server.close();
    }
  });
  return app;
}
