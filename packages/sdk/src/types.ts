/** Milliseconds since the epoch. Injected so tests freeze time and expiry is deterministic. */
export interface Clock {
  now(): number;
}

/** The subset of `fetch` the SDK calls; inject a fake to block the network in tests. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Who a verified scoped token speaks for. `caps` are namespaced (`<appId>:<name>`) and sorted. */
export interface Actor {
  readonly sub: string;
  readonly org: string;
  readonly app: string;
  readonly caps: readonly string[];
  /**
   * Only for an OAuth access token (RFC 9068): the OAuth client the person let act for them
   * (`client_id`), and the scope it was granted. Absent for a scoped token.
   */
  readonly client_id?: string;
  readonly scope?: string;
}

/**
 * Somewhere several processes share the key set (a KV store, Redis, a file). Values are plain
 * JSON written by the SDK itself; anything unreadable is ignored and refetched.
 */
export interface JWKSCache {
  get(): Promise<unknown> | unknown;
  set(value: unknown): Promise<void> | void;
}

export const systemClock: Clock = { now: () => Date.now() };
