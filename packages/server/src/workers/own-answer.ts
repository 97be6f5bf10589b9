import { secureRandom } from '../crypto/random.js';
import { requestIds } from '../http/middleware/request-id.js';
import { securityHeaderEntries } from '../http/middleware/security-headers.js';
import type { WorkersBindings } from './config.js';

/**
 * Ids for the answers given outside the Hono app; a well-formed incoming `X-Request-Id` is kept.
 * Made on first use: Workers refuse random numbers at a module's top level.
 */
let nextRequestId: ((incoming: string | undefined) => string) | null = null;

/**
 * Whether the app's answers carry HSTS: as on Node, when the public URL is https (the app reads
 * it from its configuration); where that binding is missing, when the request came over https.
 */
function servedOverHTTPS(request: Request, env: WorkersBindings): boolean {
  const publicURL = typeof env.PYLON_PUBLIC_URL === 'string' ? env.PYLON_PUBLIC_URL.trim() : '';
  const url = publicURL === '' ? request.url : publicURL;
  return url.toLowerCase().startsWith('https:');
}

/**
 * The headers of a JSON answer that the Worker, or the Durable Object before its server runs,
 * gives itself (a key set from KV, a failed start, an object that did not answer): those every
 * answer of the app carries — the security headers and a request id — so no answer lacks them.
 */
export function ownAnswerHeaders(
  request: Request,
  env: WorkersBindings,
): { headers: Headers; requestId: string } {
  nextRequestId ??= requestIds(secureRandom);
  const requestId = nextRequestId(request.headers.get('x-request-id') ?? undefined);
  const headers = new Headers(securityHeaderEntries({ https: servedOverHTTPS(request, env) }));
  headers.set('content-type', 'application/json');
  headers.set('x-request-id', requestId);
  return { headers, requestId };
}
