import { createServer as createHTTPServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectWithOAuth,
  freePort,
  type NotesWorld,
  PersonAtBrowser,
  parsed,
  startNotesWorld,
} from './mcp-oauth-support.js';

describe('an MCP client with OAuth (the official SDK) reaches mcp-notes through Pylon', () => {
  let world: NotesWorld;
  let t: NotesWorld['t'];
  let origin: string;
  let issuer: string;
  let resource: string;
  let filesResource: string;
  let reasons: NotesWorld['reasons'];
  let documents: Server;
  let clientIdURL: string;
  let callback: string;
  const open: Client[] = [];
  const connect = async (provider: PersonAtBrowser) => {
    const client = await connectWithOAuth(resource, provider);
    open.push(client);
    return client;
  };

  beforeAll(async () => {
    world = await startNotesWorld();
    ({ t, origin, issuer, resource, filesResource, reasons } = world);

    // The client's own metadata document (CIMD), served on loopback as a client would host it.
    // The SDK (1.32) takes a clientMetadataUrl only over https, so the provider starts out knowing
    // its URL client id instead; Pylon fetches the document (loopback http: development only).
    callback = `http://127.0.0.1:${await freePort()}/callback`;
    documents = createHTTPServer((req, res) => {
      if (req.url !== '/oauth/client.json') {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          client_id: clientIdURL,
          client_name: 'E2E MCP client (CIMD)',
          redirect_uris: [callback],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
        }),
      );
    });
    await new Promise<void>((resolve) => documents.listen(0, '127.0.0.1', resolve));
    clientIdURL = `http://127.0.0.1:${(documents.address() as AddressInfo).port}/oauth/client.json`;
  });

  afterAll(async () => {
    await Promise.all(open.map((client) => client.close()));
    await new Promise((resolve) => documents?.close(resolve));
    await world?.close();
  });

  it('the example answers 401 naming its RFC 9728 metadata, which points at Pylon', async () => {
    const refused = await fetch(resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(refused.status).toBe(401);
    const metadataURL = `${new URL(resource).origin}/.well-known/oauth-protected-resource/mcp`;
    expect(refused.headers.get('www-authenticate')).toBe(
      `Bearer realm="pylon", resource_metadata="${metadataURL}"`,
    );
    expect(await (await fetch(metadataURL)).json()).toEqual({
      resource,
      authorization_servers: [issuer],
      bearer_methods_supported: ['header'],
      resource_name: 'Pylon notes',
    });
    // A page on another origin (DNS rebinding) is refused before the token is even looked at.
    const foreign = await fetch(resource, {
      method: 'POST',
      headers: { origin: 'http://evil.example.com', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: 'origin_not_allowed' });
  });

  let alice: PersonAtBrowser;
  let aliceClient: Client;

  it('CIMD: discovers Pylon, signs in and consents on the hosted pages, and calls the tools it may', async () => {
    alice = new PersonAtBrowser({
      pylon: t,
      origin,
      issuer,
      email: 'alice@example.com',
      callback,
      clientIdURL,
    });
    aliceClient = await connect(alice);
    // The consent page named the client, the MCP server and the capabilities it will receive.
    expect(alice.consentPage).toContain('E2E MCP client (CIMD)');
    expect(alice.consentPage).toContain(resource);
    expect(alice.consentPage).toContain('notes:notes.write');
    expect(alice.consentPage).not.toContain('notes:notes.delete');

    const written = parsed(
      await aliceClient.callTool({ name: 'write_note', arguments: { title: 'Plan', body: 'Ship it' } }),
    );
    expect(written).toMatchObject({ id: 'n1', title: 'Plan' });
    const refused = await aliceClient.callTool({ name: 'delete_note', arguments: { id: 'n1' } });
    expect(refused.isError).toBe(true);
    expect(parsed(refused)).toMatchObject({ error: 'insufficient_capability' });
  });

  it('keeps working across a refresh: the expired access token is refreshed (rotated) and the call retried', async () => {
    const before = alice.tokens()!;
    reasons.length = 0;
    t.clock.advance((before.expires_in! + 3) * 1000);
    const listed = parsed(await aliceClient.callTool({ name: 'list_notes', arguments: {} }));
    expect(listed).toEqual([expect.objectContaining({ id: 'n1', title: 'Plan' })]);
    expect(reasons).toEqual(['expired']);
    const after = alice.tokens()!;
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).not.toBe(before.refresh_token);
  });

  it('DCR: a client without a metadata document registers itself, and gets only what its person holds', async () => {
    const bob = new PersonAtBrowser({
      pylon: t,
      origin,
      issuer,
      email: 'bob@example.com',
      callback: `http://127.0.0.1:${await freePort()}/callback`,
    });
    const client = await connect(bob);
    expect(bob.clientInformation()?.client_id).toMatch(/\S/);
    expect(bob.clientInformation()?.client_id).not.toBe(clientIdURL);
    expect(bob.consentPage).toContain('E2E MCP client (registered)');
    expect(parsed(await client.callTool({ name: 'list_notes', arguments: {} }))).toHaveLength(1);
    const write = await client.callTool({ name: 'write_note', arguments: { title: 'x', body: 'y' } });
    expect(parsed(write)).toMatchObject({ error: 'insufficient_capability' });
  });

  it('a token for server A presented to server B is refused there (401 invalid_token, wrong_audience)', async () => {
    reasons.length = 0;
    const response = await fetch(filesResource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${alice.tokens()!.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(response.headers.get('www-authenticate')).toContain('/.well-known/oauth-protected-resource/mcp');
    expect(reasons).toEqual(['wrong_audience']);
  });
});
