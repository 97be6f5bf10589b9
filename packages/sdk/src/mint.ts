import { TOKEN68 } from './bearer.js';
import { NoSessionError, OrgMismatchError, PylonRequestError } from './errors.js';
import { requestSignal, unanswered } from './request-timeout.js';
import { describeServerError, readServerError } from './server-error.js';
import type { Clock, FetchLike } from './types.js';

/** A minted token is reused until this long before it expires, so it never arrives expired. */
export const MINT_REFRESH_MARGIN_MS = 5000;

export interface MinterOptions {
  /** The org's base, once `/discover` has answered. */
  baseURL: () => Promise<string>;
  appId: string;
  fetch: FetchLike;
  clock: Clock;
  /** Read at each mint, not at construction, so a session set later (or rotated) is picked up. */
  session: () => string | undefined;
}

interface Minted {
  token: string;
  expiresAt: number;
  session: string;
}

/**
 * `POST {api_url}/token` for a process that holds a session (CLI, stdio MCP server). Single-flight:
 * concurrent callers share one request; the answer is cached until shortly before `expires_at`.
 */
export function createMinter(options: MinterOptions): () => Promise<string> {
  let cached: Minted | undefined;
  let inflight: { session: string; promise: Promise<string> } | undefined;

  async function request(session: string): Promise<string> {
    const base = await options.baseURL();
    let response: Response;
    try {
      response = await options.fetch(`${base}/token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' },
        body: JSON.stringify({ app_id: options.appId }),
        redirect: 'error',
        signal: requestSignal(),
      });
    } catch (error) {
      throw new PylonRequestError(`Minting a scoped token failed: ${unanswered(error)}`);
    }
    if (!response.ok) throw await mintError(response);
    const body = (await response.json().catch(() => undefined)) as
      | { scoped_token?: unknown; expires_at?: unknown }
      | undefined;
    if (typeof body?.scoped_token !== 'string' || typeof body.expires_at !== 'number') {
      throw new PylonRequestError('Minting a scoped token failed: Pylon answered an unexpected body', {
        status: response.status,
      });
    }
    cached = { token: body.scoped_token, expiresAt: body.expires_at, session };
    return body.scoped_token;
  }

  return function mintScopedToken() {
    const session = options.session();
    if (!session) return Promise.reject(new NoSessionError());
    // Pylon reads a session as one token68; a line break or a space (a file read with its newline)
    // would otherwise fail in fetch's header check, which reads as "Pylon could not be reached".
    if (typeof session !== 'string' || !TOKEN68.test(session)) {
      return Promise.reject(new NoSessionError('The Pylon session token is malformed'));
    }
    if (cached?.session === session && options.clock.now() < cached.expiresAt - MINT_REFRESH_MARGIN_MS) {
      return Promise.resolve(cached.token);
    }
    if (inflight?.session !== session) {
      const promise = request(session).finally(() => {
        if (inflight?.promise === promise) inflight = undefined;
      });
      inflight = { session, promise };
    }
    return inflight.promise;
  };
}

async function mintError(response: Response): Promise<Error> {
  const error = await readServerError(response);
  const details = { status: error.status, ...(error.code === undefined ? {} : { serverCode: error.code }) };
  if (error.status === 401 && error.code === 'org_mismatch') return new OrgMismatchError(details);
  if (error.status === 401) {
    return new NoSessionError(
      'Pylon refused the session (signed out, revoked or expired): sign in again',
      details,
    );
  }
  return new PylonRequestError(describeServerError('Minting a scoped token failed', error), details);
}
