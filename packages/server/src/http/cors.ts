import type { AnyRoute } from './route-table.js';

/**
 * What a `cors` route's answers carry (Fetch standard, "CORS protocol"): any origin may read them,
 * without credentials, so browsers send no cookie; `WWW-Authenticate` is readable (RFC 6750's
 * challenge on a refused bearer).
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'WWW-Authenticate',
});

/**
 * The preflight `OPTIONS` route of each path that has `cors` routes, to mount (and document) with
 * them: 204 with the path's methods, the request headers OAuth clients send (`Authorization` for
 * client_secret_basic and bearer tokens, `Content-Type`, and the `MCP-Protocol-Version` MCP
 * clients add to discovery), cached for ten minutes.
 */
export function corsPreflights(routes: readonly AnyRoute[]): AnyRoute[] {
  const methods = new Map<string, string[]>();
  for (const route of routes) {
    if (!route.cors) continue;
    methods.set(route.path, [...(methods.get(route.path) ?? []), route.method.toUpperCase()]);
  }
  return [...methods].map(([path, allowed]) => {
    const headers = {
      'Access-Control-Allow-Origin': CORS_HEADERS['Access-Control-Allow-Origin']!,
      'Access-Control-Allow-Methods': [...allowed, 'OPTIONS'].join(', '),
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, MCP-Protocol-Version',
      'Access-Control-Max-Age': '600',
    };
    return {
      method: 'options',
      path,
      summary: `CORS preflight (${allowed.join(', ')} from any origin, without credentials)`,
      tags: ['cors'],
      responses: { 204: { description: 'The methods and request headers a page elsewhere may use' } },
      handler: (c) => c.body(null, 204, headers),
    } satisfies AnyRoute;
  });
}
