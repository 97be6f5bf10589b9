import type * as client from 'openid-client';

/**
 * The one way Pylon talks to an org's OIDC IdP: every request's own URL must be https (plain http
 * only where `allowHTTP` approves that very URL: a loopback IdP in development), and every answer
 * is read with a cap, so an IdP cannot make the server buffer (or, for discovery, store) an
 * answer of any size. The org's owner names the IdP, so nothing it serves is trusted for size.
 */

/** Real discovery documents are 1–10 KiB (Keycloak's, listing every algorithm, is the largest seen). */
export const MAX_DISCOVERY_BYTES = 64 * 1024;
/** Key sets, token and userinfo answers: generous for a key set with certificate chains. */
export const MAX_IDP_ANSWER_BYTES = 1024 * 1024;

/** An IdP answer over the cap; raised from the fetch, so openid-client wraps it as a cause. */
export class IdPAnswerTooLargeError extends Error {
  override readonly name = 'IdPAnswerTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the IdP's answer is larger than ${maxBytes} bytes`);
  }
}

/** A request to a plain-http URL that is not a loopback IdP in development. */
export class InsecureIdPRequestError extends Error {
  override readonly name = 'InsecureIdPRequestError';
  constructor(readonly url: string) {
    super(`refused a request to ${url}: not an https:// URL`);
  }
}

export function createIdPFetch(options: {
  fetch: typeof fetch;
  allowHTTP: (url: URL) => boolean;
  maxBytes: number;
}): client.CustomFetch {
  return async (url, init) => {
    const target = new URL(url);
    if (target.protocol !== 'https:' && !options.allowHTTP(target)) {
      throw new InsecureIdPRequestError(target.origin);
    }
    const response = await options.fetch(target, init as RequestInit);
    const body = await readCapped(response, options.maxBytes);
    // The body is handed on already decoded, as fetch decoded it.
    const headers = new Headers(response.headers);
    headers.delete('content-encoding');
    headers.delete('content-length');
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  };
}

/** The body, read chunk by chunk and abandoned as soon as it passes `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new IdPAnswerTooLargeError(maxBytes);
  }
  const reader = response.body?.getReader();
  if (!reader) return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new IdPAnswerTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  if (size === 0) return null;
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** The first error of this class in an error's `cause` chain (openid-client wraps what fetch throws). */
export function findCause<T extends Error>(error: unknown, type: new (...args: never[]) => T): T | null {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    if (current instanceof type) return current;
    current = current.cause;
  }
  return null;
}
