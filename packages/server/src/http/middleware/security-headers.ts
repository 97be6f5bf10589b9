import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../context.js';

const API_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // API responses are never rendered as documents; pages set their own stricter-than-default CSP.
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

/**
 * Security headers on every response; HSTS only when served over https. Responses carrying
 * credentials must not be cached, so everything is `no-store` unless a route says otherwise.
 */
export function securityHeaders(options: { https: boolean }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(API_HEADERS)) {
      if (!c.res.headers.has(name)) c.res.headers.set(name, value);
    }
    if (options.https) c.res.headers.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    if (!c.res.headers.has('Cache-Control')) c.res.headers.set('Cache-Control', 'no-store');
  };
}
