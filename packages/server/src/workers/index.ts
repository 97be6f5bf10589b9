/**
 * The Cloudflare Workers entry: the Worker forwards every request to the one Durable Object that
 * runs Pylon (durable-object.ts), named after the deployment, and answers the public key set from
 * KV when a copy is there. Build with `node packages/server/scripts/build-worker.mjs`.
 */
import { surfaceOf } from '../http/context.js';
import { fallbackAnswer } from '../http/errors.js';
import type { Logger } from '../logger.js';
import type { WorkersBindings } from './config.js';
import { CLIENT_IP_HEADER } from './durable-object.js';
import { keySetFromCache } from './key-set-cache.js';
import { createWorkersLogger } from './logger.js';
import { ownAnswerHeaders } from './own-answer.js';
import type { ExecutionContext, PylonWorkerEnv } from './runtime.js';

export { PylonStore } from './durable-object.js';

/** The Durable Object's name: PYLON_DEPLOYMENT, so several deployments can share one namespace. */
export function deploymentName(env: PylonWorkerEnv): string {
  const name = env.PYLON_DEPLOYMENT;
  return typeof name === 'string' && name.trim() !== '' ? name.trim() : 'pylon';
}

export default {
  async fetch(request: Request, env: PylonWorkerEnv, _ctx: ExecutionContext): Promise<Response> {
    const cached = await keySetFromCache(request, env);
    if (cached) return cached;
    const forwarded = new Request(request);
    // Only the address Cloudflare reports reaches the app; a client cannot set it.
    forwarded.headers.delete(CLIENT_IP_HEADER);
    const address = request.headers.get('cf-connecting-ip');
    if (address) forwarded.headers.set(CLIENT_IP_HEADER, address);
    const store = env.PYLON_STORE.get(env.PYLON_STORE.idFromName(deploymentName(env)));
    try {
      return await store.fetch(forwarded);
    } catch (error) {
      return objectFailure(request, env, error);
    }
  },
};

/** The Worker's own log: only what it answers itself (the object logs everything else). */
const frontLogger = createWorkersLogger('error');

/**
 * Whether the Durable Object could not take the request now, as the Workers runtime marks it
 * (https://developers.cloudflare.com/durable-objects/best-practices/error-handling/): `retryable`
 * (restarting, moving, a connection lost — the runtime has already retried what it safely could)
 * or `overloaded` (too many requests queued for the one object). The object is Pylon's database
 * on Workers, so this is the database unavailable.
 */
export function isObjectUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { retryable, overloaded } = error as { retryable?: unknown; overloaded?: unknown };
  return retryable === true || overloaded === true;
}

/**
 * The answer when the call to the Durable Object threw instead of answering: with the object
 * unavailable (`isObjectUnavailable`) 503 `SERVICE_UNAVAILABLE` / `service_unavailable` with
 * `Retry-After`, as the Node server answers while its database cannot be reached; anything else
 * (an exception from the object's own code, which the server's error boundary should have
 * caught) 500. In Pylon's error format for the surface the path names, with a request id and the
 * security headers, instead of the runtime's own error page. The error is logged with the request
 * id: it came from the runtime or Pylon's code, never from the request.
 */
export function objectFailure(
  request: Request,
  env: WorkersBindings,
  error: unknown,
  logger: Logger = frontLogger,
): Response {
  const { headers, requestId } = ownAnswerHeaders(request, env);
  const surface = surfaceOf(new URL(request.url).pathname);
  const answer = fallbackAnswer(surface, requestId, isObjectUnavailable(error));
  logger.error({ requestId, err: error }, 'the Durable Object did not answer');
  for (const [header, value] of Object.entries(answer.headers)) headers.set(header, value);
  return new Response(JSON.stringify(answer.body), { status: answer.status, headers });
}
