import { InvalidArgumentError } from './errors.js';

/** Headers as Web `Request`, Node `IncomingMessage` and the MCP SDK's `requestInfo` carry them. */
export type HeadersLike =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** What `resolve` accepts: a request-like object with headers, or the bearer itself. */
export type BearerSource = { headers: HeadersLike } | { bearer: string | null | undefined };

// RFC 6750 §2.1: `Bearer` (case-insensitive scheme) then one token68.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** RFC 6750 §2.1's b64token: what a bearer (a session included) may hold, as Pylon reads it. */
export const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The bearer token of a request, or undefined when there is none (or it is not a bearer). Anything
 * else than a request with headers or `{ bearer }` is a caller's bug, said as one.
 */
export function readBearer(source: BearerSource): string | undefined {
  if (typeof source !== 'object' || source === null) throw invalidSource();
  if ('bearer' in source) {
    const { bearer } = source as { bearer: unknown };
    if (typeof bearer === 'string') return bearer || undefined;
    if (bearer == null) return undefined;
    throw invalidSource();
  }
  const { headers } = source as { headers?: unknown };
  if (typeof headers !== 'object' || headers === null) throw invalidSource();
  const header = readHeader(source.headers, 'authorization');
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

function invalidSource(): InvalidArgumentError {
  return new InvalidArgumentError('resolve takes a request with headers or { bearer }');
}

function readHeader(headers: HeadersLike, name: string): string | undefined {
  if (typeof headers.get === 'function') return headers.get(name) ?? undefined;
  const value = (headers as Readonly<Record<string, string | readonly string[] | undefined>>)[name];
  // Two Authorization headers are ambiguous: refuse rather than pick one.
  return typeof value === 'string' ? value : undefined;
}
