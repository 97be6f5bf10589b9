import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { hashEmail, prepareSchema } from '@pylon/core';
import { pylonClient, pylonSchemaClient, type VerifyFailureReason } from '@pylon/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadNotesConfig } from '../../examples/mcp-notes/src/config.js';
import {
  createNotesHTTPApp,
  createNotesServer,
  createNotesStore,
  prepareNotesSchema,
  SCHEMA_PREPARED,
  SCHEMA_SOURCE,
} from '../../examples/mcp-notes/src/index.js';
import { type Listening, listen } from '../../packages/server/src/platform/listen.js';
import { testDatabases } from '../../packages/server/test/support/databases.js';
import { listenAhead } from '../../packages/server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../packages/server/test/support/server.js';

const ADMIN = 'admin-token-for-the-mcp-notes-e2e-0123456789';
const MCP_NOTES_BIN = fileURLToPath(
  new URL('../../examples/mcp-notes/dist/bin/mcp-notes.js', import.meta.url),
);

type ToolResult = { content: Array<{ type: string; text: string }>; isError?: boolean };
const parsed = (result: unknown) =>
  JSON.parse((result as ToolResult).content[0]!.text) as Record<string, unknown>;

describe('the mcp-notes example against a real Pylon', () => {
  let t: TestServer;
  let pylon: Listening;
  let notes: Listening;
  let orgUrl: string;
  const reasons: VerifyFailureReason[] = [];
  const open: Client[] = [];

  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await t.request(`/o/default${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await response.json()) as Record<string, unknown>;
  };
  const signIn = async (email: string) => {
    const send = await t.request('/api/auth/magic/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email }),
    });
    const { dev_code } = (await send.json()) as { dev_code: string };
    const verify = await t.request('/api/auth/magic/verify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, code: dev_code }),
    });
    return ((await verify.json()) as { token: string }).token;
  };
  /** What a person's own tooling does: mint a scoped token for an app from their session. */
  const mintFor = (session: string, appId = 'notes') =>
    pylonClient({
      orgUrl,
      appId,
      expectedOrgId: 'default',
      sessionToken: session,
      clock: t.clock,
    }).mintScopedToken();
  const connect = async (token: string) => {
    const client = new Client({ name: 'e2e', version: '0.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${notes.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    open.push(client);
    return client;
  };

  let alice: string;
  let bob: string;

  beforeAll(async () => {
    // Pylon's port is held from the start, so PYLON_PUBLIC_URL (the tokens' `iss`) can name it
    // before Pylon exists.
    const held = await listenAhead();
    pylon = held;
    const pylonURL = `http://127.0.0.1:${pylon.port}`;
    t = await startTestServer(testDatabases[0]!, {
      env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_PUBLIC_URL: pylonURL },
    });
    held.serve(t.server.fetch, t.server.direct);
    orgUrl = `${pylonURL}/o/default`;

    const registered = await admin('POST', '/apps', { name: 'notes', owner: 'owner@example.com' });
    const pushed = await pylonSchemaClient({
      orgUrl,
      appId: 'notes',
      appToken: registered.app_token as string,
    }).push(readFileSync(SCHEMA_PREPARED, 'utf8'));
    expect(pushed).toEqual({ status: 'accepted', version: 1 });

    alice = await signIn('alice@example.com');
    bob = await signIn('bob@example.com');
    await admin('POST', '/roles', { email: 'alice@example.com', app_id: 'notes', archetype: 'notes:editor' });
    await admin('POST', '/roles', { email: 'bob@example.com', app_id: 'notes', archetype: 'notes:reader' });

    // The server is configured as its README says: PYLON_ORG_URL is the deployment's URL.
    const config = loadNotesConfig({ PYLON_ORG_URL: pylonURL });
    const client = pylonClient({
      orgUrl: config.orgUrl,
      appId: 'notes',
      expectedOrgId: config.orgId,
      clock: t.clock,
      onEvent: (name, detail) => {
        if (name === 'token.verify.failed') reasons.push(detail.reason);
      },
    });
    notes = await listen(
      createNotesHTTPApp({ client, store: createNotesStore(t.clock) }).fetch,
      0,
      '127.0.0.1',
    );
  });

  afterAll(async () => {
    await Promise.all(open.map((client) => client.close()));
    await notes?.close(1000);
    await pylon?.close(1000);
    await t?.close();
  });

  it('lists the four tools to a caller with a valid token', async () => {
    const client = await connect(await mintFor(bob));
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'delete_note',
      'list_notes',
      'read_note',
      'write_note',
    ]);
  });

  it('allows a tool to a holder of its capability and refuses it to others', async () => {
    const asAlice = await connect(await mintFor(alice));
    const written = parsed(
      await asAlice.callTool({ name: 'write_note', arguments: { title: 'Plan', body: 'Ship it' } }),
    );
    expect(written).toMatchObject({ id: 'n1', title: 'Plan', author: 'alice@example.com' });
    expect(parsed(await asAlice.callTool({ name: 'read_note', arguments: { id: 'n1' } }))).toMatchObject({
      body: 'Ship it',
    });
    const aliceDelete = await asAlice.callTool({ name: 'delete_note', arguments: { id: 'n1' } });
    expect(aliceDelete.isError).toBe(true);
    expect(parsed(aliceDelete)).toMatchObject({ error: 'insufficient_capability' });

    const asBob = await connect(await mintFor(bob));
    expect(parsed(await asBob.callTool({ name: 'list_notes', arguments: {} }))).toEqual([
      expect.objectContaining({ id: 'n1', title: 'Plan' }),
    ]);
    const bobWrite = await asBob.callTool({ name: 'write_note', arguments: { title: 'Mine', body: '' } });
    expect(bobWrite.isError).toBe(true);
    expect(parsed(bobWrite)).toMatchObject({ error: 'insufficient_capability' });
  });

  it('refuses a caller without a token at the HTTP layer (401 no_session)', async () => {
    const response = await fetch(`${notes.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'no_session' });
  });

  it('after a grant is revoked, the old token works until it expires; then nothing is allowed', async () => {
    const asAlice = await connect(await mintFor(alice));
    const revoked = await admin('DELETE', `/roles/notes/${hashEmail('alice@example.com')}`);
    expect(revoked).toMatchObject({ revoked: true });
    // Scoped tokens are 30-second bearer tokens: revocation takes effect at the next mint.
    expect((await asAlice.callTool({ name: 'list_notes', arguments: {} })).isError).toBeFalsy();

    reasons.length = 0;
    t.clock.advance(32_000); // exp + the 2 s of skew
    const expired = await asAlice
      .callTool({ name: 'list_notes', arguments: {} })
      .catch((error: unknown) => error);
    expect(expired).toMatchObject({ code: 401 });
    expect(String((expired as Error).message)).toContain('token_invalid');
    expect(String((expired as Error).message)).not.toContain('expired');
    expect(reasons).toContain('expired');

    // No grant left, and no member of the org: Pylon mints her no token at all.
    await expect(mintFor(alice)).rejects.toMatchObject({ status: 403, serverCode: 'not_a_member' });
  });

  it('refuses a token minted for another app (wrong audience), saying only token_invalid', async () => {
    const other = await admin('POST', '/apps', { name: 'other', owner: 'owner@example.com' });
    await pylonSchemaClient({ orgUrl, appId: 'other', appToken: other.app_token as string }).push(
      prepareSchema(readFileSync(SCHEMA_SOURCE), 'other', { cliVersion: '0.1.0' }),
    );
    await admin('POST', '/roles', { email: 'bob@example.com', app_id: 'other', archetype: 'other:admin' });
    reasons.length = 0;
    const failure = await connect(await mintFor(bob, 'other')).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 401 });
    expect(String((failure as Error).message)).toContain('token_invalid');
    // The previous test's client, whose token expired, may still be retrying its SSE stream in
    // the background: its `expired` can land here, on a slow machine.
    expect(reasons.filter((reason) => reason !== 'expired')).toEqual(['wrong_audience']);
  });

  it('stdio mode: the server factory acts as the holder of its own session', async () => {
    const store = createNotesStore(t.clock);
    const asSession = (session: string | undefined) => {
      const client = pylonClient({
        orgUrl,
        appId: 'notes',
        expectedOrgId: 'default',
        clock: t.clock,
        ...(session === undefined ? {} : { sessionToken: session }),
      });
      return createNotesServer({ client, store, identity: 'session' });
    };
    const connectInMemory = async (server: ReturnType<typeof createNotesServer>) => {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.connect(serverSide);
      const client = new Client({ name: 'e2e-stdio', version: '0.0.0' });
      await client.connect(clientSide);
      open.push(client);
      return client;
    };

    const asBob = await connectInMemory(asSession(bob));
    expect(parsed(await asBob.callTool({ name: 'list_notes', arguments: {} }))).toEqual([]);
    const write = await asBob.callTool({ name: 'write_note', arguments: { title: 'x', body: 'y' } });
    expect(parsed(write)).toMatchObject({ error: 'insufficient_capability' });

    vi.stubEnv('PYLON_SESSION_TOKEN', ''); // so a developer's own session cannot leak in
    const nobody = await connectInMemory(asSession(undefined));
    expect(parsed(await nobody.callTool({ name: 'list_notes', arguments: {} }))).toMatchObject({
      error: 'no_session',
    });
    vi.unstubAllEnvs();
  });

  it('stdio mode, run as its README says: a refused session is said on stderr and in each tool error', async () => {
    const bogus = 'pylon_bogus_session_of_the_stdio_e2e';
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MCP_NOTES_BIN, 'stdio'],
      env: { PYLON_ORG_URL: `http://127.0.0.1:${pylon.port}`, PYLON_SESSION_TOKEN: bogus },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'e2e-stdio-bin', version: '0.0.0' });
    await client.connect(transport);
    open.push(client);

    const refused = await client.callTool({ name: 'list_notes', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(parsed(refused)).toEqual({
      error: 'no_session',
      message: 'Pylon refused the session (signed out, revoked or expired): sign in again',
    });
    await vi.waitFor(() =>
      expect(stderr).toContain(
        'mcp-notes: Pylon refused the session (signed out, revoked or expired): sign in again',
      ),
    );
    expect(stderr).not.toContain(bogus);
  });
});

describe('the example’s configuration', () => {
  it('takes the org id from …/o/{orgId}, else PYLON_ORG_ID, else default', () => {
    expect(loadNotesConfig({ PYLON_ORG_URL: 'http://localhost:4000' }).orgId).toBe('default');
    expect(loadNotesConfig({ PYLON_ORG_URL: 'http://localhost:4000/o/acme/' }).orgId).toBe('acme');
    expect(loadNotesConfig({ PYLON_ORG_URL: 'http://localhost:4000', PYLON_ORG_ID: 'acme' }).orgId).toBe(
      'acme',
    );
    expect(() => loadNotesConfig({})).toThrow(/PYLON_ORG_URL is required/);
  });
});

describe('the example’s committed schema', () => {
  it('schema.prepared.json is exactly what schema.yaml prepares to', () => {
    expect(readFileSync(SCHEMA_PREPARED, 'utf8')).toBe(prepareNotesSchema());
  });
});
