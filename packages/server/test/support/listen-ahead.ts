import { type Listening, listen } from '../../src/platform/listen.js';
import type { TestServer } from './server.js';

type Fetch = (request: Request) => Promise<Response> | Response;

/** A listener whose port is held from the start; `serve` gives it its server once that exists. */
export interface HeldListening extends Listening {
  serve(fetch: Fetch, direct?: TestServer['server']['direct']): void;
}

/**
 * A loopback listener bound at once on a port the system picks, answering 503 until `serve` gives
 * it its server (and, optionally, the server's direct lane): its URL can be configured (a public
 * URL, a resource URL, an IdP's redirect) before that server exists, and the port stays held
 * meanwhile. A port found free, closed and bound again later can be taken in between by another
 * listener — EADDRINUSE in CI.
 */
export async function listenAhead(host = '127.0.0.1'): Promise<HeldListening> {
  let handle: Fetch = () => new Response(null, { status: 503 });
  let lane: TestServer['server']['direct'] = null;
  const listening = await listen(
    (request) => handle(request),
    0,
    host,
    (request, response) => lane?.(request, response) ?? false,
  );
  return Object.assign(listening, {
    serve(fetch: Fetch, direct: TestServer['server']['direct'] = null) {
      handle = fetch;
      lane = direct;
    },
  });
}
