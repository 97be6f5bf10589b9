import type { FetchLike } from '../../src/types.js';
import { ORG_ID, ORG_URL, type SigningKey } from './keys.js';

type Handler = (init: RequestInit | undefined) => Response | Promise<Response>;

/**
 * A fetch that answers only the org's own routes and refuses every other URL, so a unit test can
 * never reach the network. The key set and the answers are mutable; every call is counted.
 */
export function fakePylon(keys: SigningKey[] = []) {
  const state = {
    keys: [...keys],
    /** When set, the key-set endpoint answers this status instead. */
    keySetStatus: undefined as number | undefined,
    /** What `GET {ORG_URL}/discover` answers: by default, that this URL is the org's api_url. */
    discovery: { id: ORG_ID, name: 'Acme', api_url: ORG_URL } as unknown,
    discoveryStatus: 200,
    calls: [] as Array<{ url: string; init: RequestInit | undefined }>,
    routes: new Map<string, Handler>(),
  };
  const fetch: FetchLike = async (url, init) => {
    state.calls.push({ url, init });
    if (url === `${ORG_URL}/.well-known/pylon-keys`) {
      if (state.keySetStatus !== undefined)
        return Response.json({ error: 'down' }, { status: state.keySetStatus });
      return Response.json({ keys: state.keys.map((key) => key.jwk) });
    }
    if (url === `${ORG_URL}/discover`) {
      return Response.json(state.discovery, { status: state.discoveryStatus });
    }
    const handler = state.routes.get(`${init?.method ?? 'GET'} ${url}`);
    if (handler) return handler(init);
    throw new TypeError(`blocked: ${url}`);
  };
  const count = (path: string) => state.calls.filter((call) => call.url === `${ORG_URL}${path}`).length;
  return {
    state,
    fetch,
    keySetFetches: () => count('/.well-known/pylon-keys'),
    discoveries: () => count('/discover'),
    count,
  };
}

export function manualClock(start: number) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}
