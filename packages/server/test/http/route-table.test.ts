import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AppEnv, Services, Surface } from '../../src/http/context.js';
import {
  type AnyRoute,
  catalogued,
  declaredErrors,
  defineRoute,
  formProblem,
  mountRoutes,
} from '../../src/http/route-table.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

function route(responses: AnyRoute['responses']): AnyRoute {
  return defineRoute({
    method: 'get',
    path: '/probe',
    summary: 'probe',
    responses: { 200: { description: 'ok' }, ...responses },
    handler: (c) => c.json({}),
  });
}

/** Mounting only reads the table; the services are reached by handlers, which never run here. */
const mount = (surface: Surface, probe: AnyRoute) =>
  mountRoutes(new Hono<AppEnv>(), { surface, routes: [probe] }, {} as Services);

describe('route table: handlers and answers', () => {
  const base = {
    method: 'get',
    path: '/probe',
    summary: 'probe',
    responses: { 200: { description: 'ok' } },
  } as const;

  it('refuses a route with neither a handler nor an answer, or with both', () => {
    expect(() => mount('auth', defineRoute({ ...base }))).toThrow(
      'GET /probe needs exactly one of handler and answer',
    );
    expect(() =>
      mount('auth', defineRoute({ ...base, handler: (c) => c.json({}), answer: async () => ({}) })),
    ).toThrow('GET /probe needs exactly one of handler and answer');
  });

  it('refuses an answer route that takes a query (the direct lane has none to give it)', () => {
    expect(() =>
      mount('auth', defineRoute({ ...base, query: z.object({ q: z.string() }), answer: async () => ({}) })),
    ).toThrow('GET /probe answers from plain inputs, which have no query');
  });

  it('serves an answer route through Hono as JSON', async () => {
    const app = new Hono<AppEnv>();
    app.use('*', async (c, next) => {
      c.set('orgId', 'default');
      await next();
    });
    mountRoutes(
      app,
      { surface: 'auth', routes: [defineRoute({ ...base, answer: async ({ orgId }) => ({ orgId }) })] },
      {} as Services,
    );
    const response = await app.request('/probe');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ orgId: 'default' });
  });
});

describe('route table: the error codes a route declares', () => {
  it('reads the codes that lead each 4xx/5xx description, and stops at prose', () => {
    expect(
      declaredErrors(
        'auth',
        route({
          400: {
            description: 'MISSING_EMAIL, INVALID_EMAIL, or WEAK_PASSWORD for a password over 256 characters',
          },
          401: {
            description: 'INVALID_MFA_TOKEN (unknown, expired, used, five wrong codes) or INVALID_CODE',
          },
          403: { description: 'HTML: signed in as another address' },
          429: {
            description: 'RATE_LIMITED: registrations per IP (PYLON_RATE_LIMIT_REGISTRATIONS_PER_IP_HOUR)',
          },
        }),
      ),
    ).toEqual([
      { status: 400, code: 'MISSING_EMAIL' },
      { status: 400, code: 'INVALID_EMAIL' },
      { status: 400, code: 'WEAK_PASSWORD' },
      { status: 401, code: 'INVALID_MFA_TOKEN' },
      { status: 401, code: 'INVALID_CODE' },
      { status: 429, code: 'RATE_LIMITED' },
    ]);
    expect(
      declaredErrors(
        'rbac',
        route({
          401: { description: 'no_session, expired or org_mismatch' },
          404: { description: 'app_not_found, or not_found when nothing was pushed yet' },
          410: { description: 'The link expired' },
        }),
      ),
    ).toEqual([
      { status: 401, code: 'no_session' },
      { status: 401, code: 'expired' },
      { status: 401, code: 'org_mismatch' },
      { status: 404, code: 'app_not_found' },
      { status: 404, code: 'not_found' },
    ]);
  });

  it('mounts a route whose codes exist and sit under their catalogue status', () => {
    expect(() => mount('rbac', route({ 401: { description: 'no_session or org_mismatch' } }))).not.toThrow();
  });

  it('refuses to mount a route that declares an unknown code', () => {
    expect(() => mount('rbac', route({ 404: { description: 'app_not_fund' } }))).toThrow(
      'GET /probe declares app_not_fund under 404, which is no rbac error code',
    );
    // An unknown code later in the list is caught as well as a first one.
    expect(() => mount('auth', route({ 404: { description: 'ORG_NOT_FOUND or APP_NOT_FOUND' } }))).toThrow(
      'APP_NOT_FOUND under 404, which is no auth error code',
    );
  });

  it('refuses to mount a route that lists a code under another status than the catalogue’s', () => {
    expect(() =>
      mount('rbac', route({ 400: { description: 'org_mismatch: org_id is not this org' } })),
    ).toThrow('GET /probe declares org_mismatch under 400, but org_mismatch is answered with 401');
    expect(() => mount('auth', route({ 401: { description: 'UNAUTHORIZED or FORBIDDEN' } }))).toThrow(
      'FORBIDDEN under 401, but FORBIDDEN is answered with 403',
    );
  });
});

describe.each(testDatabases)('route table: the production routes ($kind)', (database) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(database);
  });
  afterAll(() => t.close());

  it('mount (so every declared code passed the check) and declare their codes in the OpenAPI document', async () => {
    const document = (await (await t.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
    };
    const declared: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      // The RFC 8628 endpoints answer OAuth's own codes (errorShape 'oauth'), not the catalogue's.
      if (/^(?:\/o\/\{orgId\})?\/oauth\//.test(path)) continue;
      const surface: Surface = path.startsWith('/api/auth') ? 'auth' : 'rbac';
      for (const operation of Object.values(operations)) {
        const responses = Object.fromEntries(
          Object.entries(operation.responses).map(([status, response]) => [Number(status), response]),
        );
        for (const { status, code } of declaredErrors(surface, { responses })) {
          expect(catalogued(surface, code)?.status, `${path} ${code}`).toBe(status);
          declared.push(code);
        }
      }
    }
    // The descriptions really are read: the codes of the contract's best-known answers are there.
    expect(declared).toEqual(
      expect.arrayContaining([
        'org_mismatch',
        'no_session',
        'app_not_found',
        'INVALID_CODE',
        'WEAK_PASSWORD',
      ]),
    );
  });
});

describe('route table: a form’s problem in words', () => {
  const form = z.object({
    name: z.string().min(1).max(10),
    app_id: z.string().min(2).max(64),
    count: z.number(),
  });
  const problem = (value: unknown) => {
    const parsed = form.safeParse(value);
    if (parsed.success) throw new Error('expected a refusal');
    return formProblem(parsed.error.issues);
  };

  it('names the field and what was wrong, never the value', () => {
    expect(problem({ name: 'x'.repeat(11), app_id: 'ab', count: 1 })).toBe(
      'Name is too long: at most 10 characters.',
    );
    expect(problem({ name: '', app_id: 'ab', count: 1 })).toBe('Name is required.');
    expect(problem({ name: 'n', app_id: 'a', count: 1 })).toBe('App id is too short: at least 2 characters.');
    expect(problem({ name: 'n', app_id: 'ab' })).toBe('Count is missing.');
    expect(problem({ name: 'n', app_id: 'ab', count: 'secret-value' })).toBe('Count is not valid.');
    expect(problem({ name: 'n', app_id: 'ab', count: 'secret-value' })).not.toContain('secret');
  });

  it('has a sentence when there is no issue to name', () => {
    expect(formProblem([])).toBe('Check the form and try again.');
  });
});
