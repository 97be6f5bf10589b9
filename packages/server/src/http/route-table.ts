import { PylonError } from '@pylon/core';
import type { Hono } from 'hono';
import type { z } from 'zod';
import { BodyTooLargeError, readNodeBody } from '../platform/node-body.js';
import type { AppContext, AppEnv, Services, Surface } from './context.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteResponse {
  description: string;
  schema?: z.ZodType;
}

/**
 * One endpoint: its contract (used for validation and the OpenAPI document) and its handler.
 * Handlers receive input already parsed by the schemas; nothing reads raw bodies.
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
  /** The security scheme names this route accepts, for the OpenAPI document. */
  security?: string[];
  responses: Record<number, RouteResponse>;
  handler(
    c: AppContext,
    input: { body: Body; query: Query },
    services: Services,
  ): Promise<Response> | Response;
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
  return new PylonError(
    400,
    surface === 'rbac' ? 'validation_failed' : 'VALIDATION_FAILED',
    `${where}${first?.message ?? 'invalid input'}`,
  );
}

/**
 * The body as text, at most `limit` bytes (413 otherwise, before anything is parsed). Read from
 * the Node socket when there is one (see platform/node-body.ts), else from the Web Request.
 */
async function readText(c: AppContext, limit: number, surface: Surface): Promise<string> {
  const tooLarge = () =>
    new PylonError(
      413,
      surface === 'rbac' ? 'payload_too_large' : 'PAYLOAD_TOO_LARGE',
      `Bodies are limited to ${limit} bytes`,
    );
  try {
    const fromNode = readNodeBody(c.env, limit);
    if (fromNode) return await fromNode;
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw tooLarge();
    throw error;
  }
  if (Number(c.req.header('content-length') ?? 0) > limit) throw tooLarge();
  const text = await c.req.text();
  if (new TextEncoder().encode(text).length > limit) throw tooLarge();
  return text;
}

async function readBody(c: AppContext, route: AnyRoute, surface: Surface, limit: number): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const raw = await readText(c, limit, surface);
  if (raw === '') return {};
  if (route.acceptsForm && type === 'application/x-www-form-urlencoded') {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  if (type !== 'application/json' && type !== '') {
    throw new PylonError(
      415,
      surface === 'rbac' ? 'unsupported_media_type' : 'UNSUPPORTED_MEDIA_TYPE',
      'Send the body as application/json',
    );
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new PylonError(
      400,
      surface === 'rbac' ? 'bad_request' : 'BAD_REQUEST',
      'The body is not valid JSON',
    );
  }
}

/** Register a group's routes on a Hono app: parse → validate → handler. */
export function mountRoutes(app: Hono<AppEnv>, group: RouteGroup, services: Services): void {
  for (const route of group.routes) {
    app.on(route.method.toUpperCase(), route.path, async (c) => {
      let body: unknown;
      if (route.body) {
        const parsed = route.body.safeParse(
          await readBody(c, route, group.surface, services.config.bodyLimitBytes),
        );
        if (!parsed.success) throw validationError(group.surface, parsed.error.issues);
        body = parsed.data;
      }
      let query: unknown;
      if (route.query) {
        const parsed = route.query.safeParse(c.req.query());
        if (!parsed.success) throw validationError(group.surface, parsed.error.issues);
        query = parsed.data;
      }
      return route.handler(c, { body, query }, services);
    });
  }
}
