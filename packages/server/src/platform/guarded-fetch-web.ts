/**
 * The Workers variant of guarded-fetch.ts (the Worker bundle uses it in its place; same exports).
 * GET a URL named by someone outside the deployment (an OAuth client's metadata document) with
 * the global fetch: https only (plain http to loopback in development), a literal address must
 * be public, redirects are not followed, the body is capped in bytes and the exchange in time.
 * A Worker's fetch leaves from Cloudflare's network, not from inside the operator's, so there is
 * no private network of the deployment for a name to be aimed at; the Node variant's check of
 * every DNS answer (and its defence against rebinding) is what protects a server that has one.
 */
import { isIP } from 'node:net';
import {
  GuardedFetchError,
  type GuardedFetchOptions,
  type GuardedResponse,
} from './guarded-fetch-contract.js';
import { isAllowedAddress } from './public-address.js';

export { isAllowedAddress };

export { type GuardedFetchOptions, GuardedFetchError, type GuardedResponse };

export async function guardedGet(target: URL, options: GuardedFetchOptions): Promise<GuardedResponse> {
  const plain = target.protocol === 'http:';
  if (!(target.protocol === 'https:' || (plain && options.allowLoopback))) {
    throw new GuardedFetchError('only https URLs are fetched');
  }
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0 && !isAllowedAddress(literal, options.allowLoopback)) {
    throw new GuardedFetchError('the URL names a non-public address');
  }
  if (plain && isIP(literal) === 0 && literal !== 'localhost') {
    throw new GuardedFetchError('plain http is only fetched from a loopback host');
  }
  let response: Response;
  try {
    response = await fetch(target, {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    throw new GuardedFetchError(error instanceof Error ? error.message : 'the request failed');
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > options.maxBytes) {
    await response.body?.cancel();
    throw new GuardedFetchError(`the document is larger than ${options.maxBytes} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > options.maxBytes) {
      await reader.cancel();
      throw new GuardedFetchError(`the document is larger than ${options.maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  return { status: response.status, headers, body: new TextDecoder().decode(bytes) };
}
