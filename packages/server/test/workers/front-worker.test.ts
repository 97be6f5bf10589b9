import { describe, expect, it } from 'vitest';
import worker, { isObjectUnavailable, objectFailure } from '../../src/workers/index.js';
import { createWorkersLogger } from '../../src/workers/logger.js';
import type { PylonWorkerEnv } from '../../src/workers/runtime.js';

/**
 * The Workers runtime's errors for a Durable Object call, as its documentation describes them
 * (https://developers.cloudflare.com/durable-objects/best-practices/error-handling/): an Error
 * with `retryable`, `overloaded` or `remote` set. workerd does not let a test make its own object
 * restart or overload on demand, so the binding is stood in for here; the object's answers
 * themselves are tested against workerd in worker.test.ts.
 */
function objectError(
  message: string,
  flags: { retryable?: boolean; overloaded?: boolean; remote?: boolean },
) {
  return Object.assign(new Error(message), flags);
}

/** An env whose Durable Object call fails with `error`, or answers `response`. */
function envWhereTheObject(outcome: { throws: unknown } | { answers: Response }): PylonWorkerEnv {
  return {
    PYLON_STORE: {
      idFromName: (name) => name,
      get: () => ({
        fetch: async () => {
          if ('throws' in outcome) throw outcome.throws;
          return outcome.answers;
        },
      }),
    },
  };
}

const call = (env: PylonWorkerEnv, path: string, headers: Record<string, string> = {}) =>
  worker.fetch(new Request(`https://auth.example.com${path}`, { headers }), env, { waitUntil() {} });

describe('the Worker when its Durable Object does not answer', () => {
  it('answers 503 with Retry-After in the RBAC format when the object is restarting (retryable)', async () => {
    const env = envWhereTheObject({ throws: objectError('Network connection lost.', { retryable: true }) });
    const response = await call(env, '/token');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('strict-transport-security')).toContain('max-age=');
    const requestId = response.headers.get('x-request-id')!;
    expect(requestId).toMatch(/^[0-9a-f]{12}-[0-9a-z]+$/);
    expect(await response.json()).toEqual({
      error: 'service_unavailable',
      message: `The database cannot be reached; try again shortly (request id ${requestId})`,
    });
  });

  it('answers 503 in the identity format when the object is overloaded', async () => {
    const env = envWhereTheObject({
      throws: objectError('Durable Object is overloaded.', { overloaded: true }),
    });
    const response = await call(env, '/api/auth/me');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(body.error.message).toContain(response.headers.get('x-request-id')!);
  });

  it('answers 500 without Retry-After for an exception from the object’s own code, or anything else', async () => {
    for (const thrown of [objectError('TypeError in the object', { remote: true }), 'a string', null]) {
      const response = await call(envWhereTheObject({ throws: thrown }), '/api/auth/me');
      expect(response.status).toBe(500);
      expect(response.headers.get('retry-after')).toBeNull();
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('INTERNAL_ERROR');
      // Nothing of the error reaches the client.
      expect(JSON.stringify(body)).not.toContain('TypeError');
    }
    const rbac = await call(envWhereTheObject({ throws: new Error('boom') }), '/o/acme/token');
    expect(rbac.status).toBe(500);
    expect(((await rbac.json()) as { error: string }).error).toBe('server_error');
    // The identity surface is /api/auth and below it, not every path that starts alike.
    const lookalike = await call(envWhereTheObject({ throws: new Error('boom') }), '/api/authority');
    expect(((await lookalike.json()) as { error: string }).error).toBe('server_error');
  });

  it('keeps a well-formed incoming request id and replaces a malformed one', async () => {
    const env = envWhereTheObject({ throws: objectError('lost', { retryable: true }) });
    expect((await call(env, '/token', { 'x-request-id': 'edge-42' })).headers.get('x-request-id')).toBe(
      'edge-42',
    );
    const replaced = (await call(env, '/token', { 'x-request-id': 'not/a valid id' })).headers.get(
      'x-request-id',
    );
    expect(replaced).not.toContain('valid');
  });

  it('logs the failure with the request id, and never the request’s credentials', () => {
    const lines: string[] = [];
    const logger = createWorkersLogger('error', (line) => lines.push(line));
    const request = new Request('https://auth.example.com/token', {
      headers: { authorization: 'Bearer pylon_secret-session-token', cookie: 'pylon_session=secret-cookie' },
    });
    const response = objectFailure(
      request,
      {},
      objectError('Network connection lost.', { retryable: true }),
      logger,
    );
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as {
      level: number;
      requestId: string;
      msg: string;
      err: { message: string };
    };
    expect(entry).toMatchObject({
      level: 50,
      requestId: response.headers.get('x-request-id'),
      msg: 'the Durable Object did not answer',
      err: { message: 'Network connection lost.' },
    });
    expect(lines[0]).not.toContain('secret');
  });

  it('passes the object’s own answers through untouched, errors included', async () => {
    const answer = new Response('{"error":"no_session"}', {
      status: 401,
      headers: { 'x-request-id': 'abc' },
    });
    const response = await call(envWhereTheObject({ answers: answer }), '/token');
    expect(response.status).toBe(401);
    expect(response.headers.get('x-request-id')).toBe('abc');
    expect(await response.text()).toBe('{"error":"no_session"}');
  });
});

describe('isObjectUnavailable', () => {
  it('is true for the runtime’s retryable and overloaded errors only', () => {
    expect(isObjectUnavailable(objectError('x', { retryable: true }))).toBe(true);
    expect(isObjectUnavailable(objectError('x', { overloaded: true }))).toBe(true);
    expect(isObjectUnavailable(objectError('x', { remote: true }))).toBe(false);
    expect(isObjectUnavailable(objectError('x', { retryable: false, overloaded: false }))).toBe(false);
    expect(isObjectUnavailable(Object.assign(new Error('x'), { retryable: 'yes' }))).toBe(false);
    expect(isObjectUnavailable(new Error('Network connection lost.'))).toBe(false);
    expect(isObjectUnavailable(null)).toBe(false);
    expect(isObjectUnavailable('retryable')).toBe(false);
  });
});
