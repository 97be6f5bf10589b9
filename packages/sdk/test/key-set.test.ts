import { describe, expect, it } from 'vitest';
import { pylonClient } from '../src/client.js';
import { KeySetUnavailableError } from '../src/errors.js';
import type { PylonEvents } from '../src/events.js';
import type { JWKSCache } from '../src/types.js';
import { fakePylon, manualClock } from './support/fake-pylon.js';
import { APP_ID, NOW_MS, ORG_ID, ORG_URL, scopedClaims, sign, signingKey } from './support/keys.js';

function clientFor(pylon: ReturnType<typeof fakePylon>, options: { jwksCache?: JWKSCache } = {}) {
  const clock = manualClock(NOW_MS);
  const events: Array<[string, unknown]> = [];
  const waiters: Array<{ name: string; resolve: () => void }> = [];
  const client = pylonClient({
    orgUrl: ORG_URL,
    appId: APP_ID,
    expectedOrgId: ORG_ID,
    fetch: pylon.fetch,
    clock,
    onEvent: (name, detail) => {
      events.push([name, detail]);
      for (const waiter of waiters.filter((w) => w.name === name)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    },
    ...options,
  });
  /** Resolves at the next `name` event: ask before the call that starts the background refresh. */
  const nextEvent = (name: keyof PylonEvents) =>
    new Promise<void>((resolve) => waiters.push({ name, resolve }));
  /** A fresh token (new jti, so never a token-cache hit) signed at the clock's current time. */
  const tokenFrom = (key: Awaited<ReturnType<typeof signingKey>>) => {
    const now = Math.floor(clock.now() / 1000);
    return sign(key, scopedClaims({ iat: now, nbf: now, exp: now + 30 }));
  };
  return { client, clock, events, nextEvent, tokenFrom };
}

describe('the key-set cache', () => {
  it('is fetched once and reused for 5 minutes', async () => {
    const k1 = await signingKey('k1');
    const pylon = fakePylon([k1]);
    const { client, clock, tokenFrom } = clientFor(pylon);
    for (let i = 0; i < 5; i++) {
      expect(await client.resolve({ bearer: await tokenFrom(k1) })).not.toBeNull();
      clock.advance(59_000);
    }
    expect(pylon.keySetFetches()).toBe(1);
  });

  it('picks up a rotated key after exactly one refresh', async () => {
    const [k1, k2] = [await signingKey('k1'), await signingKey('k2')];
    const pylon = fakePylon([k1]);
    const { client, clock, tokenFrom } = clientFor(pylon);
    expect(await client.resolve({ bearer: await tokenFrom(k1) })).not.toBeNull();
    // Rotation publishes the next key before it signs (docs/OPERATIONS.md "Signing keys").
    pylon.state.keys = [k1, k2];
    clock.advance(2000);
    expect(await client.resolve({ bearer: await tokenFrom(k2) })).not.toBeNull();
    expect(await client.resolve({ bearer: await tokenFrom(k2) })).not.toBeNull();
    expect(await client.resolve({ bearer: await tokenFrom(k1) })).not.toBeNull();
    expect(pylon.keySetFetches()).toBe(2);
  });

  it('100 concurrent verifications of an unknown kid cause one fetch; then at most one a second', async () => {
    const k1 = await signingKey('k1');
    const pylon = fakePylon([k1]);
    const { client, clock, tokenFrom } = clientFor(pylon);
    await client.resolve({ bearer: await tokenFrom(k1) });
    expect(pylon.keySetFetches()).toBe(1);
    clock.advance(1000);
    const ghost = await signingKey('ghost');
    const tokens = await Promise.all(Array.from({ length: 100 }, () => tokenFrom(ghost)));
    const actors = await Promise.all(tokens.map((bearer) => client.resolve({ bearer })));
    expect(actors.every((actor) => actor === null)).toBe(true);
    expect(pylon.keySetFetches()).toBe(2);
    clock.advance(500);
    await client.resolve({ bearer: await tokenFrom(ghost) });
    expect(pylon.keySetFetches()).toBe(2);
    clock.advance(500);
    await client.resolve({ bearer: await tokenFrom(ghost) });
    expect(pylon.keySetFetches()).toBe(3);
  });

  it('100 concurrent verifications of a just-rotated kid wait for the one refresh, and all pass', async () => {
    const [k1, k2] = [await signingKey('k1'), await signingKey('k2')];
    const pylon = fakePylon([k1]);
    const { client, clock, tokenFrom } = clientFor(pylon);
    await client.resolve({ bearer: await tokenFrom(k1) });
    pylon.state.keys = [k1, k2];
    clock.advance(1000);
    const tokens = await Promise.all(Array.from({ length: 100 }, () => tokenFrom(k2)));
    const actors = await Promise.all(tokens.map((bearer) => client.resolve({ bearer })));
    expect(actors.every((actor) => actor !== null)).toBe(true);
    expect(pylon.keySetFetches()).toBe(2);
  });

  it('100 concurrent first verifications share one fetch', async () => {
    const k1 = await signingKey('k1');
    const pylon = fakePylon([k1]);
    const { client, tokenFrom } = clientFor(pylon);
    const tokens = await Promise.all(Array.from({ length: 100 }, () => tokenFrom(k1)));
    const actors = await Promise.all(tokens.map((bearer) => client.resolve({ bearer })));
    expect(actors.every((actor) => actor !== null)).toBe(true);
    expect(pylon.keySetFetches()).toBe(1);
  });

  it('serves stale keys while revalidating, and through an outage with back-off 1 s → 30 s', async () => {
    const k1 = await signingKey('k1');
    const pylon = fakePylon([k1]);
    const { client, clock, events, nextEvent, tokenFrom } = clientFor(pylon);
    await client.resolve({ bearer: await tokenFrom(k1) });
    pylon.state.keySetStatus = 503;
    clock.advance(5 * 60_000);
    // Stale: answered from the old keys at once; the refresh runs behind it and fails.
    const firstFailure = nextEvent('key_set.refresh_failed');
    expect(await client.resolve({ bearer: await tokenFrom(k1) })).not.toBeNull();
    await firstFailure;
    expect(pylon.keySetFetches()).toBe(2);
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const last = events.filter(([name]) => name === 'key_set.refresh_failed').at(-1)![1];
      const delay = (last as PylonEvents['key_set.refresh_failed']).retry_in_ms;
      delays.push(delay);
      clock.advance(delay - 1);
      expect(await client.resolve({ bearer: await tokenFrom(k1) })).not.toBeNull();
      expect(pylon.keySetFetches()).toBe(2 + i); // still backing off: no request
      clock.advance(1);
      const failed = nextEvent('key_set.refresh_failed');
      expect(await client.resolve({ bearer: await tokenFrom(k1) })).not.toBeNull();
      await failed;
      expect(pylon.keySetFetches()).toBe(3 + i);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(events).toContainEqual([
      'key_set.refresh_failed',
      { failures: 1, retry_in_ms: 1000, status: 503 },
    ]);

    pylon.state.keySetStatus = undefined;
    clock.advance(30_000);
    const refreshed = nextEvent('key_set.refreshed');
    await client.resolve({ bearer: await tokenFrom(k1) });
    await refreshed;
    const fetches = pylon.keySetFetches();
    clock.advance(60_000);
    await client.resolve({ bearer: await tokenFrom(k1) });
    expect(pylon.keySetFetches()).toBe(fetches); // fresh again: no more refreshes
  });

  it('a network error counts as an outage too; with no keys ever loaded nothing verifies', async () => {
    const k1 = await signingKey('k1');
    const pylon = fakePylon([k1]);
    const { client, clock, tokenFrom } = clientFor({
      ...pylon,
      // Discovery answers; only the key set is unreachable.
      fetch: async (url, init) => {
        if (url.endsWith('/discover')) return pylon.fetch(url, init);
        pylon.state.calls.push({ url: `${ORG_URL}/.well-known/pylon-keys`, init: undefined });
        throw new TypeError('fetch failed');
      },
    });
    await expect(client.resolve({ bearer: await tokenFrom(k1) })).rejects.toBeInstanceOf(
      KeySetUnavailableError,
    );
    // Backing off: refused at once, no new request.
    await expect(client.resolve({ bearer: await tokenFrom(k1) })).rejects.toBeInstanceOf(
      KeySetUnavailableError,
    );
    expect(pylon.keySetFetches()).toBe(1);
    clock.advance(1000);
    await expect(client.resolve({ bearer: await tokenFrom(k1) })).rejects.toBeInstanceOf(
      KeySetUnavailableError,
    );
    expect(pylon.keySetFetches()).toBe(2);
  });

  it('an external jwksCache warms a cold process and is written after each fetch', async () => {
    const k1 = await signingKey('k1');
    const first = fakePylon([k1]);
    let shared: unknown;
    const jwksCache: JWKSCache = {
      get: () => shared,
      set: (value) => {
        shared = value;
      },
    };
    const a = clientFor(first, { jwksCache });
    await a.client.resolve({ bearer: await a.tokenFrom(k1) });
    expect(first.keySetFetches()).toBe(1);
    expect(shared).toMatchObject({ fetched_at: NOW_MS, keys: [k1.jwk] });

    const second = fakePylon([k1]);
    const b = clientFor(second, { jwksCache });
    expect(await b.client.resolve({ bearer: await b.tokenFrom(k1) })).not.toBeNull();
    expect(second.keySetFetches()).toBe(0);

    // Unreadable or stale shared values are ignored: the process fetches for itself.
    for (const value of [{ garbage: true }, { fetched_at: NOW_MS - 5 * 60_000, keys: [k1.jwk] }]) {
      shared = value;
      const third = fakePylon([k1]);
      const c = clientFor(third, { jwksCache });
      expect(await c.client.resolve({ bearer: await c.tokenFrom(k1) })).not.toBeNull();
      expect(third.keySetFetches()).toBe(1);
    }
  });

  it('a failing jwksCache or onEvent listener does not fail verification', async () => {
    const k1 = await signingKey('k1');
    const pylon = fakePylon([k1]);
    const client = pylonClient({
      orgUrl: ORG_URL,
      appId: APP_ID,
      expectedOrgId: ORG_ID,
      fetch: pylon.fetch,
      clock: manualClock(NOW_MS),
      jwksCache: {
        get: () => Promise.reject(new Error('redis down')),
        set: () => Promise.reject(new Error('redis down')),
      },
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    expect(await client.resolve({ bearer: await sign(k1) })).not.toBeNull();
    expect(await client.resolve({ bearer: 'garbage' })).toBeNull();
  });
});
