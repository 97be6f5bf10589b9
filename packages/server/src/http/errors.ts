import { type ErrorCode, errorSpec, PylonError, toAuthCode, toRbacCode } from '@pylon/core';
import type { Logger } from '../logger.js';
import { ClientClosedError } from '../platform/node-body.js';
import { isDatabaseUnavailable } from '../storage/errors.js';
import type { AppContext, Surface } from './context.js';

/** `Retry-After` of a 503 answered while the database cannot be reached. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The status a request whose client closed the connection before it arrived is logged and counted
 * with (nginx's "client closed request"); never sent, as nobody is there to read it.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * The error body on each surface: identity (nested, UPPER_SNAKE) and RBAC (flat, snake_case).
 * `fields` are further members of the error (e.g. the variables a refused configuration names),
 * beside `message` on either surface.
 */
export function errorBody(
  surface: Surface,
  code: ErrorCode,
  message: string,
  details: { hint?: string | undefined; fields?: Readonly<Record<string, unknown>> } = {},
): unknown {
  const { hint, fields = {} } = details;
  if (surface === 'rbac') return { error: toRbacCode(code), message, ...fields };
  return { error: { code: toAuthCode(code), message, ...(hint ? { hint } : {}), ...fields } };
}

/**
 * The one error boundary, so codes stay stable. A PylonError renders as itself; a database that
 * cannot be reached or cannot take the request now (`isDatabaseUnavailable`) is a 503 that asks
 * to retry after `DATABASE_RETRY_AFTER_SECONDS`; a client gone before its request arrived is
 * CLIENT_CLOSED_REQUEST, with no body; anything else is a 500. The 503 and 500 bodies name only
 * the request id, with the details in the log (`logFault`).
 */
export function renderError(c: AppContext, error: unknown): Response {
  const answer = errorAnswer(c.get('surface') ?? 'auth', c.get('requestId'), error);
  for (const [name, value] of Object.entries(answer.headers)) c.header(name, value);
  return answer.body === null
    ? c.body(null, answer.status as 400)
    : c.json(answer.body as object, answer.status as 400);
}

/**
 * The log line of an error the boundary answers, where the log has something to learn: anything
 * that is not a PylonError (its details are in the log only), and a server-side PylonError that
 * carries its cause (the code tells the caller what failed; the cause tells the operator why).
 * Other PylonErrors are the caller's, or were logged where they were thrown. A client that closed
 * its connection before its request arrived is no fault of the server: a `debug` line (the access
 * log has its 499), so anyone can drop connections without filling the error log.
 */
export function logFault(logger: Logger, requestId: string, error: unknown): void {
  if (error instanceof ClientClosedError) logger.debug({ requestId }, error.message);
  else if (!(error instanceof PylonError)) logger.error({ requestId, err: error }, 'unhandled error');
  else if (error.status >= 500 && error.cause !== undefined)
    logger.error({ requestId, code: error.code, err: error.cause }, error.message);
}

/** What renderError answers, as plain values (the direct lane writes it to Node itself). */
export function errorAnswer(
  surface: Surface,
  requestId: string,
  error: unknown,
): { status: number; body: unknown; headers: Readonly<Record<string, string>> } {
  if (error instanceof PylonError) {
    return {
      status: error.status,
      body: errorBody(surface, error.code, error.message, { hint: error.hint }),
      headers: error.headers,
    };
  }
  if (error instanceof ClientClosedError) return { status: CLIENT_CLOSED_REQUEST, body: null, headers: {} };
  return fallbackAnswer(surface, requestId, isDatabaseUnavailable(error));
}

/**
 * The answer to an error that is not a PylonError: 503 with `Retry-After` when the database
 * cannot take the request now (`unavailable`), else 500 — each with the catalogue's status and
 * message and the request id the log carries, nothing of the error itself.
 */
export function fallbackAnswer(
  surface: Surface,
  requestId: string,
  unavailable: boolean,
): { status: number; body: unknown; headers: Readonly<Record<string, string>> } {
  const [code, headers] = unavailable
    ? ([
        surface === 'rbac' ? 'service_unavailable' : 'SERVICE_UNAVAILABLE',
        { 'Retry-After': String(DATABASE_RETRY_AFTER_SECONDS) },
      ] as const)
    : ([surface === 'rbac' ? 'server_error' : 'INTERNAL_ERROR', {}] as const);
  const spec = errorSpec(code)!;
  return {
    status: spec.status,
    body: errorBody(surface, code, `${spec.message} (request id ${requestId})`),
    headers,
  };
}
