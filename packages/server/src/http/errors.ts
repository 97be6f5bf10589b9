import { type ErrorCode, PylonError, toAuthCode, toRbacCode } from '@pylon/core';
import type { AppContext, Surface } from './context.js';

/** The error body on each surface: identity (nested, UPPER_SNAKE) and RBAC (flat, snake_case). */
export function errorBody(surface: Surface, code: ErrorCode, message: string, hint?: string): unknown {
  if (surface === 'rbac') return { error: toRbacCode(code), message };
  return { error: { code: toAuthCode(code), message, ...(hint ? { hint } : {}) } };
}

/**
 * The one error boundary, so codes stay stable. A PylonError renders as itself; anything else is a 500
 * whose body names only the request id, with the details in the log.
 */
export function renderError(c: AppContext, error: unknown): Response {
  const surface = c.get('surface') ?? 'auth';
  const requestId = c.get('requestId');
  if (error instanceof PylonError) {
    for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
    return c.json(errorBody(surface, error.code, error.message, error.hint) as object, error.status as 400);
  }
  return c.json(
    errorBody(
      surface,
      surface === 'rbac' ? 'server_error' : 'INTERNAL_ERROR',
      `Internal error (request id ${requestId})`,
    ) as object,
    500,
  );
}
