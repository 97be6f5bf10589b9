/**
 * What both guarded fetches (guarded-fetch.ts on Node, guarded-fetch-web.ts on Workers) take and
 * answer, so that callers are the same on either runtime.
 */
export interface GuardedFetchOptions {
  /** Allow loopback addresses (and plain http to them): development only. */
  allowLoopback: boolean;
  maxBytes: number;
  timeoutMs: number;
}

export interface GuardedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export class GuardedFetchError extends Error {}
