import { KeySetUnavailableError } from './errors.js';
import type { OnEvent } from './events.js';
import { importPublishedKeys, type PublishedKey, readPublishedKeys } from './key-set-document.js';
import { REQUEST_TIMEOUT_MS, requestSignal } from './request-timeout.js';
import type { Clock, FetchLike, JWKSCache } from './types.js';

/** Every timing of the key-set cache, in one place (docs/SDK.md "Caches"). */
export const KEY_SET_DEFAULTS = {
  /** Matches the server's `Cache-Control: max-age=300`. */
  maxAgeMs: 5 * 60_000,
  /** An unknown `kid` forces a refresh at most this often, so garbage kids cannot flood Pylon. */
  forcedRefreshIntervalMs: 1000,
  backoffInitialMs: 1000,
  backoffMaxMs: 30_000,
  /** REQUEST_TIMEOUT_MS, as every request to Pylon. */
  requestTimeoutMs: REQUEST_TIMEOUT_MS,
} as const;

interface Loaded {
  /** null: published, but not for verifying signatures (`use`/`key_ops`). */
  keys: Map<string, CryptoKey | null>;
  fetchedAt: number;
}

export interface KeySetOptions {
  /** Asked at each fetch: the org's base is known only once `/discover` has answered. */
  url: () => Promise<string>;
  fetch: FetchLike;
  clock: Clock;
  emit: OnEvent;
  external?: JWKSCache | undefined;
}

export interface KeySet {
  /**
   * The key for `kid`; null when Pylon publishes it but not for signatures; undefined when Pylon
   * does not publish it even after a refresh.
   */
  getKey(kid: string): Promise<CryptoKey | null | undefined>;
}

/**
 * The org's key set, cached with stale-while-revalidate. State lives in this closure (the model is
 * jose's `createRemoteJWKSet`): one in-flight fetch at a time, shared by every caller; after a
 * failure, no fetch until the back-off (1 s doubling to 30 s) has passed, while the last good keys
 * keep being served.
 */
export function createKeySet(options: KeySetOptions): KeySet {
  const { clock, emit } = options;
  let loaded: Loaded | undefined;
  let inflight: Promise<void> | undefined;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let failures = 0;
  let retryAt = Number.NEGATIVE_INFINITY;
  let externalTried = false;

  function refresh(): Promise<void> {
    inflight ??= load().finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  // Never rejects: callers look at `loaded` afterwards, which is the only thing they need.
  async function load(): Promise<void> {
    lastAttemptAt = clock.now();
    let status: number | undefined;
    try {
      const response = await options.fetch(await options.url(), {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: requestSignal(),
      });
      status = response.status;
      if (!response.ok) throw new Error(`key set answered ${response.status}`);
      const published = readPublishedKeys(await response.json());
      loaded = { keys: await importPublishedKeys(published), fetchedAt: clock.now() };
      failures = 0;
      retryAt = Number.NEGATIVE_INFINITY;
      emit('key_set.refreshed', { kids: [...loaded.keys.values()].filter(Boolean).length });
      await writeExternal(published, loaded.fetchedAt);
    } catch {
      failures += 1;
      const delay = Math.min(
        KEY_SET_DEFAULTS.backoffInitialMs * 2 ** (failures - 1),
        KEY_SET_DEFAULTS.backoffMaxMs,
      );
      retryAt = clock.now() + delay;
      emit('key_set.refresh_failed', {
        failures,
        retry_in_ms: delay,
        ...(status === undefined ? {} : { status }),
      });
    }
  }

  async function writeExternal(keys: PublishedKey[], fetchedAt: number): Promise<void> {
    try {
      await options.external?.set({ fetched_at: fetchedAt, keys });
    } catch {
      // A shared cache is an optimisation; its outage must not fail verification.
    }
  }

  // A process starting cold takes a fresh set another process already fetched, once.
  async function readExternal(): Promise<void> {
    if (options.external === undefined || externalTried) return;
    externalTried = true;
    try {
      const value = (await options.external.get()) as { fetched_at?: unknown } | null | undefined;
      const fetchedAt = value?.fetched_at;
      if (typeof fetchedAt !== 'number' || clock.now() - fetchedAt >= KEY_SET_DEFAULTS.maxAgeMs) return;
      const keys = await importPublishedKeys(readPublishedKeys(value));
      loaded ??= { keys, fetchedAt };
    } catch {
      // Unreadable: fetch from Pylon instead.
    }
  }

  const mayFetch = (now: number) => now >= retryAt;

  async function ensureLoaded(): Promise<Loaded> {
    if (loaded === undefined) await readExternal();
    if (loaded === undefined) {
      if (mayFetch(clock.now())) await refresh();
      else if (inflight) await inflight;
    }
    if (loaded === undefined) throw new KeySetUnavailableError();
    const now = clock.now();
    if (now - loaded.fetchedAt >= KEY_SET_DEFAULTS.maxAgeMs && mayFetch(now)) void refresh();
    return loaded;
  }

  return {
    async getKey(kid) {
      const key = (await ensureLoaded()).keys.get(kid);
      if (key !== undefined) return key;
      // A kid we have not seen may be a key published since our last fetch (rotation publishes
      // the next key before signing with it): refresh once, or join the refresh under way.
      const now = clock.now();
      if (inflight) await inflight;
      else if (now - lastAttemptAt >= KEY_SET_DEFAULTS.forcedRefreshIntervalMs && mayFetch(now)) {
        await refresh();
      }
      return loaded?.keys.get(kid);
    },
  };
}
