import type { AnyRoute } from './route-table.js';

/** The order an `Allow` header lists methods in. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

interface PathPattern {
  /** The mounted path's segments; null stands for a `:name` segment (any one non-empty segment). */
  segments: (string | null)[];
  methods: Set<string>;
}

/**
 * The methods the route table serves at a request path, for RFC 9110 §15.5.6: a path some route
 * has, asked with a method none of its routes takes, is answered 405 with an `Allow` header
 * listing these (an empty list: no route has the path, 404). Read from the routes as mounted, so
 * the answer cannot drift from what is served. A GET route also takes HEAD, which Hono answers
 * from it. Paths match as Hono's router matches them: segment by segment, exactly, a `:name`
 * segment standing for any one non-empty segment; other pattern syntax is refused at start-up
 * rather than read wrongly.
 */
export function allowedMethods(
  mounts: readonly { prefix: string; routes: readonly AnyRoute[] }[],
): (path: string) => string[] {
  const byPath = new Map<string, PathPattern>();
  for (const { prefix, routes } of mounts) {
    for (const route of routes) {
      const path = `${prefix}${route.path}`;
      let pattern = byPath.get(path);
      if (pattern === undefined) {
        pattern = { segments: path.split('/').map(segmentOf(path)), methods: new Set() };
        byPath.set(path, pattern);
      }
      const method = route.method.toUpperCase();
      pattern.methods.add(method);
      if (method === 'GET') pattern.methods.add('HEAD');
    }
  }
  // By segment count: a request is compared only with paths of its own length.
  const byLength = new Map<number, PathPattern[]>();
  for (const pattern of byPath.values()) {
    const length = pattern.segments.length;
    byLength.set(length, [...(byLength.get(length) ?? []), pattern]);
  }
  return (path) => {
    const segments = path.split('/');
    const allowed = new Set<string>();
    for (const pattern of byLength.get(segments.length) ?? []) {
      const matches = pattern.segments.every((expected, i) =>
        expected === null ? segments[i] !== '' : expected === segments[i],
      );
      if (matches) for (const method of pattern.methods) allowed.add(method);
    }
    return METHOD_ORDER.filter((method) => allowed.has(method));
  };
}

function segmentOf(path: string): (segment: string) => string | null {
  return (segment) => {
    if (/^:[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) return null;
    if (/[:*{}?]/.test(segment)) throw new Error(`${path}: a route path the Allow matcher cannot read`);
    return segment;
  };
}
