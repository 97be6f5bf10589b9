import * as jose from 'jose';
import { describe, expect, it, vi } from 'vitest';
import { pylonClient } from '../src/client.js';
import { fakePylon, manualClock } from './support/fake-pylon.js';
import { APP_ID, NOW_MS, ORG_ID, ORG_URL, scopedClaims, sign, signingKey } from './support/keys.js';

// Counts signature verifications: a cache hit must not do one.
vi.mock('jose', async (importOriginal) => {
  const actual = await importOriginal<typeof import('jose')>();
  return { ...actual, compactVerify: vi.fn(actual.compactVerify) };
});

describe('the verified-token cache', () => {
  async function setup(tokenCacheSize?: number) {
    vi.mocked(jose.compactVerify).mockClear();
    const key = await signingKey('k1');
    const clock = manualClock(NOW_MS);
    const client = pylonClient({
      orgUrl: ORG_URL,
      appId: APP_ID,
      expectedOrgId: ORG_ID,
      fetch: fakePylon([key]).fetch,
      clock,
      ...(tokenCacheSize === undefined ? {} : { tokenCacheSize }),
    });
    return { key, clock, client, verifications: () => vi.mocked(jose.compactVerify).mock.calls.length };
  }

  it('a second verification of the same token is a look-up, until the token expires', async () => {
    const { key, clock, client, verifications } = await setup();
    const token = await sign(key);
    const first = await client.verify(token);
    expect(await client.verify(token)).toBe(first);
    expect(verifications()).toBe(1);
    clock.advance(31_999); // within exp + 2 s of skew: still a hit
    expect(await client.verify(token)).toBe(first);
    expect(verifications()).toBe(1);
    clock.advance(1);
    expect(await client.resolve({ bearer: token })).toBeNull();
    expect(verifications()).toBe(2);
  });

  it('a known signature under another header or payload is not a hit', async () => {
    const { key, client, verifications } = await setup();
    const token = await sign(key);
    await client.verify(token);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${jose.base64url.encode(JSON.stringify(scopedClaims({ caps: ['notes:notes.delete'] })))}.${signature}`;
    expect(await client.resolve({ bearer: forged })).toBeNull();
    expect(verifications()).toBe(2);
  });

  it('is bounded: the least recently used token is dropped first', async () => {
    const { key, client, verifications } = await setup(2);
    const [a, b, c] = [await sign(key), await sign(key), await sign(key)];
    await client.verify(a);
    await client.verify(b);
    await client.verify(a); // a is now the most recent
    await client.verify(c); // evicts b
    expect(verifications()).toBe(3);
    await client.verify(a);
    expect(verifications()).toBe(3);
    await client.verify(b);
    expect(verifications()).toBe(4);
  });
});
