import { RegisterAppResponse, WhoamiResponse } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIError } from '../../src/cli-error.js';
import { HTTPClient } from '../../src/net/http-client.js';
import { type LoopbackServer, sendJSON, startLoopbackServer } from '../support/loopback-server.js';

// Answers are read with @pylon/core's wire schemas: a body of another shape (a proxy's JSON, an
// older or newer server) stops the command with exit 1 instead of printing `undefined`.
describe('answers are parsed with the contract', () => {
  let server: LoopbackServer;
  beforeAll(async () => {
    server = await startLoopbackServer((request, response) => {
      if ((request.url ?? '').startsWith('/apps')) {
        return sendJSON(response, 201, { app_id: 'notes', app_token: 'pyat_x', extra: 'dropped' });
      }
      sendJSON(response, 200, { email: 'ann@example.com', org_id: 'default', archetype: null });
    });
  });
  afterAll(() => server.close());
  const client = () => new HTTPClient({ fetch: globalThis.fetch, baseURL: server.url, userAgent: 't' });

  it('a well-formed answer comes back as the schema reads it', async () => {
    const answer = await client().call({ method: 'POST', path: '/apps' }, RegisterAppResponse);
    expect(answer).toEqual({ app_id: 'notes', app_token: 'pyat_x' });
  });

  it('a malformed answer exits 1 naming the field, never echoing the body', async () => {
    const error = await client()
      .call({ method: 'GET', path: '/whoami' }, WhoamiResponse)
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(CLIError);
    expect((error as CLIError).exitCode).toBe(1);
    expect((error as CLIError).message).toMatch(
      /^Pylon answered GET \/whoami with an unexpected body \(session_expires_at: /,
    );
    expect((error as CLIError).message).not.toContain('ann@example.com');
  });
});
