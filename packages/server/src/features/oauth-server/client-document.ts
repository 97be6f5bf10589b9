import { isPlainDisplayName, PLAIN_DISPLAY_NAME_MESSAGE } from '@pylon/core';
import type { Services } from '../../http/context.js';
import { GuardedFetchError, guardedGet } from '../../platform/guarded-fetch.js';
import type { OAuthClient } from './clients.js';
import { checkRedirectURI } from './redirect-uri.js';

/** The draft's suggested cap on a metadata document (draft-ietf-oauth-client-id-metadata-document §4). */
const MAX_DOCUMENT_BYTES = 5 * 1024;
const FETCH_TIMEOUT_MS = 5_000;
/** Without caching headers a document is kept this long; never longer than a day. */
const DEFAULT_CACHE_MS = 5 * 60_000;
const MAX_CACHE_MS = 24 * 3600_000;
const MAX_CACHED_DOCUMENTS = 1_000;

type Fetched = { kind: 'ok'; client: OAuthClient } | { kind: 'refused'; reason: string };

/** The per-process cache of fetched documents, by URL. */
export type ClientDocumentCache = Map<string, { until: number; answer: Fetched }>;

export function createClientDocumentCache(): ClientDocumentCache {
  return new Map();
}

/**
 * Whether a URL may be a client id: https (or http to a loopback host in development, for local
 * testing), with a path, no fragment, no credentials and no dot segments (the draft's §3).
 */
export function checkClientIdURL(value: string, development: boolean): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'the client id is not a URL';
  }
  const loopbackHTTP = url.protocol === 'http:' && development;
  if (url.protocol !== 'https:' && !loopbackHTTP) return 'a client id URL must be https';
  if (url.hash !== '' || value.includes('#')) return 'a client id URL has no fragment';
  if (url.username !== '' || url.password !== '') return 'a client id URL has no credentials';
  if (url.pathname === '/' || url.pathname === '') return 'a client id URL has a path';
  if (/\/\.\.?(\/|$)/.test(value.slice(url.origin.length))) return 'a client id URL has no dot segments';
  // The id must be the URL exactly as written, or two spellings would name one client.
  if (url.toString() !== value) return 'the client id is not a normalised URL';
  return null;
}

/** Seconds a response may be cached, from its Cache-Control (RFC 9111 §5.2.2). */
function cacheMs(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  if (/(^|,)\s*(no-store|no-cache)\b/i.test(value)) return 0;
  const maxAge = /(^|,)\s*max-age=(\d+)/i.exec(value);
  if (!maxAge?.[2]) return DEFAULT_CACHE_MS;
  return Math.min(Number(maxAge[2]) * 1000, MAX_CACHE_MS);
}

/** Pure: the client a fetched document describes, or why it is refused. */
export function parseClientDocument(clientId: string, body: unknown): Fetched {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return { kind: 'refused', reason: 'the metadata document is not a JSON object' };
  const doc = body as Record<string, unknown>;
  if (doc.client_id !== clientId)
    return { kind: 'refused', reason: 'the metadata document names another client_id' };
  const method = doc.token_endpoint_auth_method ?? 'none';
  if (method !== 'none' || doc.client_secret !== undefined)
    return { kind: 'refused', reason: 'a metadata document client authenticates with none (PKCE)' };
  const uris = doc.redirect_uris;
  if (!Array.isArray(uris) || uris.length === 0 || uris.length > 20)
    return { kind: 'refused', reason: 'the metadata document lists no redirect_uris' };
  if (!uris.every((uri) => typeof uri === 'string' && checkRedirectURI(uri).ok))
    return { kind: 'refused', reason: 'the metadata document has a redirect URI that is not allowed' };
  const name = typeof doc.client_name === 'string' && doc.client_name.trim() !== '' ? doc.client_name : null;
  if (name !== null && !isPlainDisplayName(name))
    return { kind: 'refused', reason: `the metadata document's client_name ${PLAIN_DISPLAY_NAME_MESSAGE}` };
  const alg = doc.id_token_signed_response_alg;
  if (alg !== undefined && alg !== 'RS256' && alg !== 'EdDSA')
    return { kind: 'refused', reason: 'id_token_signed_response_alg must be RS256 or EdDSA' };
  return {
    kind: 'ok',
    client: {
      clientId,
      // The host is shown beside the name: the name is the client's own claim, the host is not.
      clientName: (name ?? new URL(clientId).host).slice(0, 200),
      redirectURIs: uris as string[],
      secretHash: null,
      kind: 'document',
      idTokenAlg: alg === 'EdDSA' ? 'EdDSA' : 'RS256',
    },
  };
}

/**
 * A Client ID Metadata Document client: its id is the https URL of a JSON document describing it,
 * fetched through the SSRF guard (platform/guarded-fetch.ts: public addresses only, loopback too
 * in development; 5 KiB; 5 s; no redirects) and cached per its Cache-Control, refusals included
 * for a minute so a bad URL cannot make the server fetch on every request.
 */
export async function fetchClientDocument(
  services: Services,
  cache: ClientDocumentCache,
  clientId: string,
): Promise<Fetched> {
  const now = services.clock.now();
  const hit = cache.get(clientId);
  if (hit && hit.until > now) return hit.answer;
  const development = services.config.env === 'development';
  const invalid = checkClientIdURL(clientId, development);
  if (invalid !== null) return { kind: 'refused', reason: invalid };
  let answer: Fetched;
  let keepMs = 60_000;
  try {
    const response = await guardedGet(new URL(clientId), {
      allowLoopback: development,
      maxBytes: MAX_DOCUMENT_BYTES,
      timeoutMs: FETCH_TIMEOUT_MS,
    });
    if (response.status !== 200) {
      answer = { kind: 'refused', reason: `the metadata document answered ${response.status}` };
    } else {
      let body: unknown;
      try {
        body = JSON.parse(response.body);
      } catch {
        body = null;
      }
      answer = parseClientDocument(clientId, body);
      if (answer.kind === 'ok') keepMs = cacheMs(response.headers['cache-control']);
    }
  } catch (error) {
    if (!(error instanceof GuardedFetchError)) throw error;
    answer = { kind: 'refused', reason: `the metadata document could not be fetched: ${error.message}` };
  }
  if (keepMs > 0) {
    if (cache.size >= MAX_CACHED_DOCUMENTS) cache.delete(cache.keys().next().value!);
    cache.set(clientId, { until: now + keepMs, answer });
  }
  return answer;
}
