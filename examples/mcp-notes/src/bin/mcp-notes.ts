#!/usr/bin/env node
import { serve } from '@hono/node-server';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { PylonSDKError, pylonClient } from '@pylon/sdk/verify';
import { loadNotesConfig } from '../config.js';
import { createNotesHTTPApp } from '../http.js';
import { createNotesServer, NOTES_APP_ID } from '../notes-server.js';
import { createNotesStore } from '../notes-store.js';

const USAGE =
  'usage: mcp-notes stdio | mcp-notes http   (env: PYLON_ORG_URL, PYLON_ORG_ID, NOTES_PORT, NOTES_HOST, NOTES_PUBLIC_URL)';

async function main(mode: string | undefined): Promise<void> {
  if (mode !== 'stdio' && mode !== 'http') throw new Error(USAGE);
  const config = loadNotesConfig(process.env);
  const client = pylonClient({
    orgUrl: config.orgUrl,
    appId: NOTES_APP_ID,
    expectedOrgId: config.orgId,
    // Over HTTP, also take the OAuth access tokens Pylon issues for this server (its app's
    // `resource` must be this URL); a stdio server only ever sees its own session's tokens.
    ...(mode === 'http' ? { resource: config.resource } : {}),
    // stdout carries the MCP protocol in stdio mode: diagnostics go to stderr.
    onEvent: (name, detail) => process.stderr.write(`pylon: ${name} ${JSON.stringify(detail)}\n`),
  });
  // Discover the org now rather than at the first request, so a wrong PYLON_ORG_URL or
  // PYLON_ORG_ID is reported (by the SDK, on stderr) at start-up; it is retried at each request.
  client.discover().catch(() => {});
  const store = createNotesStore();

  if (mode === 'stdio') {
    // One person runs this process: tools act as the holder of PYLON_SESSION_TOKEN. Mint once now,
    // so a session that is missing, refused (signed out, revoked, expired) or another org's is
    // reported at start-up in the SDK's words; each tool call then answers the same reason. The
    // SDK's messages never carry the token; a failed discovery it has already reported itself.
    client.mintScopedToken().catch((error: unknown) => {
      if (error instanceof PylonSDKError && error.code === 'org_discovery_failed') return;
      process.stderr.write(`mcp-notes: ${error instanceof Error ? error.message : String(error)}\n`);
    });
    const server = createNotesServer({ client, store, identity: 'session' });
    await server.connect(new StdioServerTransport());
    return;
  }
  const app = createNotesHTTPApp({ client, store });
  serve({ fetch: app.fetch, port: config.port, hostname: config.host }, ({ port }) => {
    process.stderr.write(`mcp-notes: MCP Streamable HTTP on http://${config.host}:${port}/mcp\n`);
    process.stderr.write(`mcp-notes: OAuth resource ${config.resource} (register it on the app in Pylon)\n`);
  });
}

main(process.argv[2]).catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
