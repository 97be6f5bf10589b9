/**
 * The Cloudflare Workers entry: the Worker forwards every request to the one Durable Object that
 * runs Pylon (durable-object.ts), named after the deployment, and answers the public key set from
 * KV when a copy is there. Build with `node packages/server/scripts/build-worker.mjs`.
 */
import { CLIENT_IP_HEADER } from './durable-object.js';
import { keySetFromCache } from './key-set-cache.js';
import type { ExecutionContext, PylonWorkerEnv } from './runtime.js';

export { PylonStore } from './durable-object.js';

/** The Durable Object's name: PYLON_DEPLOYMENT, so several deployments can share one namespace. */
export function deploymentName(env: PylonWorkerEnv): string {
  const name = env.PYLON_DEPLOYMENT;
  return typeof name === 'string' && name.trim() !== '' ? name.trim() : 'pylon';
}

export default {
  async fetch(request: Request, env: PylonWorkerEnv, _ctx: ExecutionContext): Promise<Response> {
    const cached = await keySetFromCache(request, env.PYLON_CACHE);
    if (cached) return cached;
    const forwarded = new Request(request);
    // Only the address Cloudflare reports reaches the app; a client cannot set it.
    forwarded.headers.delete(CLIENT_IP_HEADER);
    const address = request.headers.get('cf-connecting-ip');
    if (address) forwarded.headers.set(CLIENT_IP_HEADER, address);
    const store = env.PYLON_STORE.get(env.PYLON_STORE.idFromName(deploymentName(env)));
    return store.fetch(forwarded);
  },
};
