import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';

const API_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // API responses are never rendered as documents; pages set their own CSP over this one.
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  // Responses carrying credentials must not be cached; routes that may be cached say so.
  'Cache-Control': 'no-store',
};

/**
 * Security headers on every response; HSTS only when served over https. They are set before the
 * handler runs, so a route can override one with `c.header()`, and the response object is never
 * rebuilt afterwards (rebuilding it costs the node adapter its fast path).
 */
export function securityHeaders(options: { https: boolean }): MiddlewareHandler<AppEnv> {
  const headers = securityHeaderEntries(options);
  return async (c, next) => {
    for (const [name, value] of headers) c.header(name, value);
    await next();
  };
}

/** The security headers every response carries, as [name, value] pairs. */
export function securityHeaderEntries(options: { https: boolean }): [string, string][] {
  return Object.entries({
    ...API_HEADERS,
    ...(options.https ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' } : {}),
  });
}
