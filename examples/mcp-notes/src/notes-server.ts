import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type PylonClient, pylonGuard } from '@pylon/sdk/verify';
import { z } from 'zod';
import type { NotesStore } from './notes-store.js';

/** The app id this server is registered under in Pylon; its capabilities are `notes:…`. */
export const NOTES_APP_ID = 'notes';

export interface NotesServerOptions {
  client: PylonClient;
  store: NotesStore;
  /**
   * `bearer` (HTTP): each call is made by the person whose scoped token came with the request.
   * `session` (stdio): by the person whose session this process holds (`PYLON_SESSION_TOKEN`).
   */
  identity?: 'bearer' | 'session';
}

const text = (value: unknown) => ({ content: [{ type: 'text' as const, text: JSON.stringify(value) }] });
const notFound = (id: string) => ({ ...text({ error: 'not_found', id }), isError: true });

/**
 * The notes MCP server: four tools, each gated by one capability of `schema.yaml`. Cheap to build,
 * so the HTTP transport builds one per request (stateless) around the shared store.
 */
export function createNotesServer(options: NotesServerOptions): McpServer {
  const { client, store, identity = 'bearer' } = options;
  const gate = (capability: string) => pylonGuard(client, { requiredCapability: capability, identity });
  const read = gate('notes.read');
  const write = gate('notes.write');
  const remove = gate('notes.delete');
  const server = new McpServer({ name: 'pylon-notes', version: '0.1.0' });

  server.registerTool(
    'list_notes',
    { description: 'List every note (id, title, author)', inputSchema: {} },
    read.tool(async () =>
      text(store.list().map(({ id, title, author, updated_at }) => ({ id, title, author, updated_at }))),
    ),
  );

  server.registerTool(
    'read_note',
    { description: 'Read one note', inputSchema: { id: z.string().min(1) } },
    read.tool(async ({ id }) => {
      const note = store.get(id);
      return note ? text(note) : notFound(id);
    }),
  );

  server.registerTool(
    'write_note',
    {
      description: 'Create a note, or replace one when id is given',
      inputSchema: { id: z.string().min(1).optional(), title: z.string().min(1), body: z.string() },
    },
    write.tool(async (args, _extra, actor) => {
      if (args.id !== undefined && !store.get(args.id)) return notFound(args.id);
      return text(store.put({ ...args, author: actor.sub }));
    }),
  );

  server.registerTool(
    'delete_note',
    { description: 'Delete a note', inputSchema: { id: z.string().min(1) } },
    remove.tool(async ({ id }) => (store.delete(id) ? text({ deleted: id }) : notFound(id))),
  );

  return server;
}
