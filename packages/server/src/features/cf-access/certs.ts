import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '../../clock.js';

/** Bounds on how long a fetched key set is used: its Cache-Control max-age, clamped to these. */
export const CERTS_MIN_AGE_MS = 60_000;
export const CERTS_MAX_AGE_MS = 24 * 60 * 60_000;
/** Without a usable max-age, the key set is kept this long. */
export const CERTS_DEFAULT_AGE_MS = 10 * 60_000;
/** An unknown `kid` refetches the key set at most once per this long. */
export const CERTS_COOLDOWN_MS = 30_000;
const FETCH_TIMEOUT_MS = 5_000;
/** A team's certs document is a few KiB; anything far larger is not one. */
const MAX_CERTS_BYTES = 256 * 1024;

/** The certs could not be read: the assertion is neither accepted nor blamed. */
export class CertsUnavailableError extends Error {}

interface Cached {
  keys: JWTVerifyGetKey;
  kids: ReadonlySet<string>;
  expiresAt: number;
}

/** RFC 9111 §5.2.2.1 max-age, in ms; null without one (no-store and no-cache count as 0). */
function maxAge(cacheControl: string | null): number | null {
  if (cacheControl === null) return null;
  const directives = cacheControl
    .toLowerCase()
    .split(',')
    .map((part) => part.trim());
  if (directives.includes('no-store') || directives.includes('no-cache')) return 0;
  for (const directive of directives) {
    const match = /^max-age="?(\d{1,10})"?$/.exec(directive);
    if (match) return Number(match[1]) * 1000;
  }
  return null;
}

/**
 * A Cloudflare Access team's signing keys (`<team>/cdn-cgi/access/certs`), fetched through the
 * server's fetch (so the same code runs on Node and Workers), kept as long as the response's
 * Cache-Control allows within [1 min, 24 h] (10 min without one), and refetched once, at most
 * every 30 s, when a token names a `kid` the cached set lacks (Access rotates its keys and
 * publishes the next one before using it). While the certs cannot be fetched, a stale set is
 * used rather than none. Times come from the injected clock.
 */
export class AccessCerts {
  private cached: Cached | null = null;
  /** When the last fetch started, successful or not: the cooldown counts from it. */
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<Cached> | null = null;

  constructor(
    private readonly url: string,
    private readonly fetchImpl: typeof fetch,
    private readonly clock: Clock,
  ) {}

  /** A jose key resolver: the cached set, refreshed when stale or missing the token's `kid`. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const now = this.clock.now();
    const current = this.cached;
    if (current === null) return (await this.refresh(now)).keys(header, token);
    const unknownKid = typeof header.kid === 'string' && !current.kids.has(header.kid);
    const due = now >= current.expiresAt || unknownKid;
    if (!due || now - this.lastAttemptAt < CERTS_COOLDOWN_MS) return current.keys(header, token);
    let fresh: Cached;
    try {
      fresh = await this.refresh(now);
    } catch (error) {
      // A stale set beats none while the certs are unreachable; the cooldown paces the retries.
      if (!(error instanceof CertsUnavailableError)) throw error;
      fresh = current;
    }
    return fresh.keys(header, token);
  };

  /** One fetch at a time: concurrent requests share it. */
  private refresh(now: number): Promise<Cached> {
    if (this.inFlight === null) this.lastAttemptAt = now;
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async load(): Promise<Cached> {
    let body: unknown;
    let cacheControl: string | null;
    try {
      const response = await this.fetchImpl(this.url, {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new CertsUnavailableError(`the certs answered HTTP ${response.status}`);
      }
      if (Number(response.headers.get('content-length') ?? 0) > MAX_CERTS_BYTES) {
        await response.body?.cancel();
        throw new CertsUnavailableError('the certs document is too large');
      }
      const text = await response.text();
      if (text.length > MAX_CERTS_BYTES) throw new CertsUnavailableError('the certs document is too large');
      body = JSON.parse(text);
      cacheControl = response.headers.get('cache-control');
    } catch (error) {
      if (error instanceof CertsUnavailableError) throw error;
      throw new CertsUnavailableError(
        error instanceof SyntaxError ? 'the certs are not JSON' : 'the certs could not be fetched',
      );
    }
    const keys = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new CertsUnavailableError('the certs document has no "keys" list');
    // Only RSA signing keys: Access signs with RS256, and nothing else may be chosen.
    const usable = keys.filter(
      (key): key is JSONWebKeySet['keys'][number] =>
        typeof key === 'object' &&
        key !== null &&
        (key as { kty?: unknown }).kty === 'RSA' &&
        ((key as { use?: unknown }).use ?? 'sig') === 'sig',
    );
    const now = this.clock.now();
    const age = maxAge(cacheControl) ?? CERTS_DEFAULT_AGE_MS;
    const cached: Cached = {
      keys: createLocalJWKSet({ keys: usable }),
      kids: new Set(usable.map((key) => key.kid).filter((kid): kid is string => typeof kid === 'string')),
      expiresAt: now + Math.min(CERTS_MAX_AGE_MS, Math.max(CERTS_MIN_AGE_MS, age)),
    };
    this.cached = cached;
    return cached;
  }
}

/** jose's "no key in the set fits": an unknown `kid`, or no RSA key at all. */
export function isNoMatchingKey(error: unknown): boolean {
  return error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys;
}
