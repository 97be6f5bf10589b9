import { type ErrorCode, PylonError } from '@pylon/core';
import type { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { Awaitable } from '../awaitable.js';
import { asClientClosed, BodyTooLargeError, readNodeBody } from '../platform/node-body.js';
import { anonymousRefusal, carriesCredential } from './anonymous.js';
import type { AuthContext } from './auth-context.js';
import type { AppContext, AppEnv, Services, Surface } from './context.js';
import { CORS_HEADERS } from './cors.js';
import { checkDeclaredErrors } from './declared-errors.js';
import { getAuth, requestCredentials } from './get-auth.js';
import { requestAPIURL } from './org-hosts.js';
import type { SecurityScheme } from './security-schemes.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'options';

export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
}

/**
 * What a route that answers from plain inputs sees of its request (Route.answer): the same on
 * every front door, Hono's context or the direct lane's Node request (http/direct-lane.ts).
 */
export interface PlainRequest<Body = unknown> {
  /** The body, parsed and validated by the route's schema. */
  body: Body;
  /** The org the request acts in (the root: the default org). */
  orgId: string;
  /**
   * The caller, resolved on first use and remembered (as getAuth does): itself when it was had
   * without waiting (the direct lane on SQLite), else a promise (awaitable.ts).
   */
  auth(): Awaitable<AuthContext>;
  /** The api_url the request reached its org under (requestAPIURL). */
  apiURL(): string;
}

/**
 * One endpoint: its contract (used for validation and the OpenAPI document) and either a handler
 * of Hono's context or an `answer` from plain inputs. Handlers receive input already parsed by the
 * schemas; nothing reads raw bodies.
 */
export interface Route<Body = unknown, Query = unknown> {
  method: Method;
  /** Hono path, relative to the surface's base (`/api/auth` or the org's RBAC base). */
  path: string;
  summary: string;
  tags?: string[];
  body?: z.ZodType<Body>;
  query?: z.ZodType<Query>;
  /** Also accept `application/x-www-form-urlencoded` bodies (hosted pages post forms). */
  acceptsForm?: boolean;
  /** A tighter body limit than the deployment's `PYLON_BODY_LIMIT` (the SAML ACS takes 64 KiB). */
  bodyLimitBytes?: number;
  /**
   * The ways in this route accepts (the OpenAPI document's security schemes). A route that names
   * any needs a caller: a request carrying no credential at all is refused with the surface's 401
   * before its body or query is read (http/anonymous.ts), unless `anonymous` says otherwise.
   */
  security?: SecurityScheme[];
  /**
   * How a route with `security` answers a request carrying no credential at all: `served` when it
   * answers signed-out callers itself (`GET /me`, a sign-in's second step; the OpenAPI document
   * then shows its security as optional), or the 401 code it refuses them with where that is not
   * its surface's (`AUTH_REQUIRED` on `POST /api/auth/jwt`).
   */
  anonymous?: 'served' | ErrorCode;
  responses: Record<number, RouteResponse>;
  /**
   * `oauth` for endpoints that answer errors in RFC 6749 §5.2's shape with OAuth's own codes
   * (`invalid_grant`, and RFC 8628's `slow_down` as a 400): those codes are not the catalogue's, so
   * their descriptions are not checked against it. Default `pylon`.
   */
  errorShape?: 'pylon' | 'oauth';
  /**
   * Readable from any web origin (CORS without credentials, CORS_HEADERS): public metadata and
   * keys, and the OAuth endpoints a browser-based client calls with its own credentials in the
   * body or `Authorization` — never a cookie, so a page elsewhere gains nothing it could not send
   * from a server. The path also answers the browser's preflight `OPTIONS` (cors.ts).
   */
  cors?: true;
  handler?(
    c: AppContext,
    input: { body: Body; query: Query },
    services: Services,
  ): Promise<Response> | Response;
  /**
   * Instead of `handler`: the 200 answer's JSON from plain inputs (errors are thrown PylonErrors).
   * Such a route takes no query, and is also served by the direct lane on Node (hot paths such as
   * `POST /token`), which answers it without Hono's per-request work — and, where every step has
   * its value at once, without a promise (awaitable.ts: it may then also throw at once).
   */
  answer?(request: PlainRequest<Body>): Awaitable<object>;
  /**
   * A hosted page's form: how a body its schema refuses is answered — the page again, saying
   * `problem` (formProblem) — in place of the surface's JSON VALIDATION_FAILED, which a person's
   * browser would show as raw text. `fields` are the form's text fields as posted, unchecked: only
   * what the refusal itself needs (the CSRF token, a return_to to sanitise) may be read from them.
   */
  refuseForm?(
    c: AppContext,
    fields: Readonly<Record<string, string | undefined>>,
    problem: string,
  ): Promise<Response> | Response;
}

/** A route's request as PlainRequest, from Hono's context. */
export function plainRequest<Body>(c: AppContext, body: Body, services: Services): PlainRequest<Body> {
  return {
    body,
    orgId: c.get('orgId'),
    auth: () => getAuth(c, services),
    apiURL: () => requestAPIURL(c, services.config),
  };
}

/** The route's handler: its own, or its `answer` as JSON. */
export function routeHandler(route: AnyRoute): NonNullable<AnyRoute['handler']> {
  if (route.handler) return route.handler;
  const answer = route.answer!;
  return async (c, { body }, services) => c.json(await answer(plainRequest(c, body, services)));
}

/** Preserve the generic parameters of a route literal (inference helper). */
export function defineRoute<Body = unknown, Query = unknown>(route: Route<Body, Query>): Route<Body, Query> {
  return route;
}

// biome-ignore lint/suspicious/noExplicitAny: a table holds routes of every body and query type.
export type AnyRoute = Route<any, any>;

export interface RouteGroup {
  surface: Surface;
  /** Where the group is mounted; RBAC groups are mounted at the root and under `/o/{orgId}`. */
  routes: AnyRoute[];
}

function validationError(surface: Surface, issues: z.core.$ZodIssue[]): PylonError {
  const first = issues[0];
  const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  return new PylonError(surface === 'rbac' ? 'validation_failed' : 'VALIDATION_FAILED', {
    message: `${where}${first?.message ?? 'invalid input'}`,
  });
}

/** A parsed body's text fields (a form's are all text; a JSON body's others are dropped). */
function textFields(parsed: unknown): Record<string, string> {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  return Object.fromEntries(
    Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}

/**
 * The first of a form's problems as a sentence for the person who filled it in: the field's name
 * and what was wrong with it ("Description is too long: at most 1000 characters."), never
 * the value.
 */
export function formProblem(issues: readonly z.core.$ZodIssue[]): string {
  const first = issues[0];
  if (first === undefined) return 'Check the form and try again.';
  const field = String(first.path[0] ?? 'a field').replaceAll('_', ' ');
  const name = `${field.charAt(0).toUpperCase()}${field.slice(1)}`;
  if (first.code === 'too_big' && first.origin === 'string')
    return `${name} is too long: at most ${String(first.maximum)} characters.`;
  if (first.code === 'too_small' && first.origin === 'string')
    return Number(first.minimum) <= 1
      ? `${name} is required.`
      : `${name} is too short: at least ${String(first.minimum)} characters.`;
  if (first.code === 'invalid_type' && first.message.endsWith('received undefined'))
    return `${name} is missing.`;
  return `${name} is not valid.`;
}

/**
 * The body as text, at most `limit` bytes (413 otherwise, before anything is parsed). Read from
 * the Node socket when there is one (see platform/node-body.ts), else from the Web Request.
 */
async function readText(c: AppContext, limit: number, surface: Surface): Promise<string> {
  const fromNode = readNodeText(c.env, limit, surface);
  if (fromNode) return fromNode;
  const tooLarge = () => bodyTooLarge(surface, limit);
  if (Number(c.req.header('content-length') ?? 0) > limit) throw tooLarge();
  const text = await c.req.text();
  if (new TextEncoder().encode(text).length > limit) throw tooLarge();
  return text;
}

/**
 * The body as text straight from Node's socket (`env.incoming`, platform/node-body.ts), at most
 * `limit` bytes (the surface's 413 otherwise; a ClientClosedError when the client hung up before
 * it all arrived, which the error boundary logs as 499, not as a fault); null without a Node
 * request.
 */
export function readNodeText(env: unknown, limit: number, surface: Surface): Promise<string> | null {
  const reading = readNodeBody(env, limit);
  if (reading === null) return null;
  return reading.catch((error: unknown) => {
    if (error instanceof BodyTooLargeError) throw bodyTooLarge(surface, limit);
    throw asClientClosed(error);
  });
}

/** The surface's 413 for a body over `limit` bytes. */
export function bodyTooLarge(surface: Surface, limit: number): PylonError {
  return new PylonError(surface === 'rbac' ? 'payload_too_large' : 'PAYLOAD_TOO_LARGE', {
    message: `Bodies are limited to ${limit} bytes`,
  });
}

/** The deployment's body limit, or the route's own when tighter. */
export function bodyLimit(route: AnyRoute, services: Services): number {
  return Math.min(route.bodyLimitBytes ?? Number.POSITIVE_INFINITY, services.config.bodyLimitBytes);
}

/** The media type of a Content-Type header, lower-cased, without parameters ('' when absent). */
export function mediaType(header: string | undefined | null): string {
  // The usual header is already its own media type: answered without building a string.
  if (header === 'application/json') return header;
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * A body's text as the route's input: JSON (or a form where the route takes one), validated by
 * its schema. Throws the surface's UNSUPPORTED_MEDIA_TYPE, BAD_REQUEST or VALIDATION_FAILED.
 */
export function routeBody(route: AnyRoute, surface: Surface, type: string, raw: string): unknown {
  const parsed = route.body!.safeParse(parseBody(route, surface, type, raw));
  if (!parsed.success) throw validationError(surface, parsed.error.issues);
  return parsed.data;
}

function parseBody(route: AnyRoute, surface: Surface, type: string, raw: string): unknown {
  if (raw === '') return {};
  if (route.acceptsForm && type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(raw);
    if (route.errorShape === 'oauth') refuseRepeated(form, surface);
    return Object.fromEntries(form);
  }
  if (type !== 'application/json' && type !== '') {
    throw new PylonError(surface === 'rbac' ? 'unsupported_media_type' : 'UNSUPPORTED_MEDIA_TYPE', {
      ...(route.acceptsForm
        ? { message: 'Send the body as application/x-www-form-urlencoded or application/json' }
        : {}),
    });
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new PylonError(surface === 'rbac' ? 'bad_request' : 'BAD_REQUEST', {
      message: 'The body is not valid JSON',
    });
  }
}

/**
 * RFC 6749 §3.1, §3.2: an OAuth endpoint's parameters "MUST NOT be included more than once" (the
 * token, revocation and device authorization endpoints alike): a repeated one is refused, never
 * read as its first or last value. The OAuth routes answer it as `invalid_request`.
 */
function refuseRepeated(form: URLSearchParams, surface: Surface): void {
  const seen = new Set<string>();
  for (const name of form.keys()) {
    if (seen.has(name)) {
      throw new PylonError(surface === 'rbac' ? 'validation_failed' : 'VALIDATION_FAILED', {
        message: `${name} is sent more than once`,
      });
    }
    seen.add(name);
  }
}

/** Register a group's routes on a Hono app: parse → validate → handler. */
export function mountRoutes(app: Hono<AppEnv>, group: RouteGroup, services: Services): void {
  for (const route of group.routes) checkDeclaredErrors(group.surface, route);
  for (const route of group.routes) {
    const handler = routeHandler(route);
    const refusal = anonymousRefusal(group.surface, route);
    app.on(route.method.toUpperCase(), route.path, async (c) => {
      // Set on the context first, so an error's answer (server.ts onError) carries them too.
      if (route.cors) for (const [name, value] of Object.entries(CORS_HEADERS)) c.header(name, value);
      return answerOf(c);
    });
    async function answerOf(c: AppContext): Promise<Response> {
      if (route.errorShape !== 'oauth') return inputsThenHandler(c);
      try {
        return await inputsThenHandler(c);
      } catch (error) {
        // The request's own shape refused (not JSON, another media type, too large, a field):
        // answered as RFC 6749 §5.2 says, as the endpoint's other refusals are.
        if (!(error instanceof PylonError) || !inputRefusals.has(error.code)) throw error;
        return c.json(
          { error: 'invalid_request', error_description: error.message },
          error.status as ContentfulStatusCode,
        );
      }
    }
    async function inputsThenHandler(c: AppContext): Promise<Response> {
      // A caller already resolved (a hosted page's sign-in by the Access gate) has been judged.
      if (
        refusal !== null &&
        c.get('auth') === undefined &&
        !carriesCredential(route, services.resolvers, requestCredentials(c))
      ) {
        throw new PylonError(refusal);
      }
      let body: unknown;
      if (route.body) {
        const type = mediaType(c.req.header('content-type'));
        const text = await readText(c, bodyLimit(route, services), group.surface);
        if (route.refuseForm) {
          const fields = parseBody(route, group.surface, type, text);
          const checked = route.body.safeParse(fields);
          if (!checked.success)
            return route.refuseForm(c, textFields(fields), formProblem(checked.error.issues));
          body = checked.data;
        } else {
          body = routeBody(route, group.surface, type, text);
        }
      }
      let query: unknown;
      if (route.query) {
        const parsed = route.query.safeParse(c.req.query());
        if (!parsed.success) throw validationError(group.surface, parsed.error.issues);
        query = parsed.data;
      }
      return handler(c, { body, query }, services);
    }
  }
}

/** The codes of a request whose body or query the route table refused, on either surface. */
const inputRefusals = new Set(
  ['bad_request', 'unsupported_media_type', 'payload_too_large', 'validation_failed'].flatMap((code) => [
    code,
    code.toUpperCase(),
  ]),
);

export { catalogued, checkDeclaredErrors, declaredErrors } from './declared-errors.js';
