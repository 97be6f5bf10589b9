import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/clock.js';
import { DEFAULTS, KEY_ROTATION_DELAY_SECONDS } from '../../src/config/defaults.js';
import { secureRandom } from '../../src/crypto/random.js';
import { createSealer } from '../../src/crypto/seal.js';
import { scheduleKeys } from '../../src/signing/key-schedule.js';
import { KeyRing } from '../../src/signing/signing-keys.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';

const policy = { tokenTTLSeconds: 30, skewSeconds: 60 };

describe('scheduleKeys', () => {
  const a = { kid: 'a', activates_at: 0 };
  const b = { kid: 'b', activates_at: 300_000 };

  it('a single active key signs and is published', () => {
    expect(scheduleKeys([a], 1, policy)).toEqual({ signing: a, published: [a], expired: [] });
  });

  it('a rotated-in key is published before it signs', () => {
    expect(scheduleKeys([a, b], 100_000, policy)).toEqual({ signing: a, published: [a, b], expired: [] });
  });

  it('once the new key signs, the old one stays published for token lifetime plus skew', () => {
    expect(scheduleKeys([b, a], 300_000, policy).signing).toEqual(b);
    expect(scheduleKeys([a, b], 300_000 + 89_999, policy).published).toEqual([a, b]);
    expect(scheduleKeys([a, b], 300_000 + 90_000, policy)).toEqual({
      signing: b,
      published: [b],
      expired: [a],
    });
  });

  it('no key yet means nothing signs', () => {
    expect(scheduleKeys([b], 0, policy).signing).toBeNull();
  });
});

describe.each(testDatabases)('signing keys on $kind', (database) => {
  let t: TestServer;
  beforeAll(async () => {
    // The shortest JWT lifetime, so the longest token this server signs is the 30 s scoped token
    // and a retired key goes after 30 s + skew (test/jwt covers the longer minted JWTs).
    // Every token the keys sign lives at most 30 s here, so a retired key goes 90 s after rotation.
    t = await startTestServer(database, {
      env: { PYLON_JWT_LIFETIME_SECS: '30', PYLON_OAUTH_ACCESS_TOKEN_TTL: '30' },
    });
  });
  afterAll(() => t.close());

  async function keySet() {
    const response = await t.request('/.well-known/pylon-keys');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    return (await response.json()) as { keys: Array<Record<string, string>> };
  }

  it('serves one Ed25519 JWK with a kid at both well-known paths, never the private part', async () => {
    const { keys } = await keySet();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.any(String),
      kid: expect.any(String),
      alg: 'EdDSA',
      use: 'sig',
    });
    const alias = await (await t.request('/.well-known/jwks.json')).json();
    expect(alias).toEqual({ keys });
    expect(await (await t.request('/o/default/.well-known/pylon-keys')).json()).toEqual({ keys });
  });

  it('stores the private key sealed, bound to its row', async () => {
    // Only the raw rows show what is at rest.
    const rows = await t.storage.db.selectFrom('signing_keys').selectAll().execute();
    expect(rows[0]!.private_jwk_sealed.startsWith('v1.')).toBe(true);
    expect(rows[0]!.private_jwk_sealed).not.toContain('"d"');
  });

  it('rotation publishes the next key, signs with it after the cache time, and keeps the old one for live tokens', async () => {
    const keys = t.server.services.keys;
    const before = await keys.sign({ sub: 'alice@example.com', exp: Math.floor(t.clock.now() / 1000) + 30 });
    const oldKid = decodeProtectedHeader(before).kid;

    const rotated = await keys.rotate(300);
    const published = await keySet();
    expect(published.keys.map((k) => k.kid).sort()).toEqual([oldKid, rotated.kid].sort());

    // Until the new key activates, the old key keeps signing.
    expect(decodeProtectedHeader(await keys.sign({ sub: 'x' })).kid).toBe(oldKid);

    // A token signed before the rotation verifies against the published set.
    const jwks = createLocalJWKSet(published as never);
    const { payload } = await jwtVerify(before, jwks, { currentDate: new Date(t.clock.now()) });
    expect(payload.sub).toBe('alice@example.com');

    t.clock.advance(300_000);
    keys.invalidate();
    const after = await keys.sign({ sub: 'bob@example.com' });
    expect(decodeProtectedHeader(after).kid).toBe(rotated.kid);
    expect((await keySet()).keys).toHaveLength(2);

    // After the last token signed by the old key expired, the old key is dropped.
    t.clock.advance(90_000);
    keys.invalidate();
    expect((await keySet()).keys.map((k) => k.kid)).toEqual([rotated.kid]);
    const next = await keys.rotate(300);
    expect(next.removed).toEqual([oldKid]);
  });

  it('signs at once (the token, no promise) while the loaded keys are fresh, and through a promise when it must load them', async () => {
    const keys = t.server.services.keys;
    keys.invalidate();
    const loading = keys.sign({ sub: 'first@example.com' });
    expect(loading).toBeInstanceOf(Promise);
    const first = await loading;
    const again = keys.sign({ sub: 'again@example.com' });
    expect(typeof again).toBe('string');
    // The same key signs either way, and both verify against the published set.
    expect(decodeProtectedHeader(again as string).kid).toBe(decodeProtectedHeader(first).kid);
    const jwks = createLocalJWKSet((await keySet()) as never);
    for (const token of [first, again as string])
      await jwtVerify(token, jwks, { currentDate: new Date(t.clock.now()) });
  });

  it('a key sealed under another secret cannot be used to sign', async () => {
    // A second key ring on the same database, sealing under another secret: a state no client can reach.
    const ring = new KeyRing({
      db: t.storage.db,
      sealer: createSealer('33'.repeat(32), secureRandom),
      clock: manualClock(t.clock.now() + 10_000_000),
      random: secureRandom,
      policy,
    });
    await expect(ring.sign({ sub: 'x' })).rejects.toThrow();
  });

  it('a rotation made by another process: the new key signs only once no copy of the key set without it can be live', async () => {
    // Two running processes (`pylon-server keys rotate` is a third, here the first ring), one
    // clock, well after every key the earlier tests made.
    const clock = manualClock(t.clock.now() + 100_000_000);
    const ring = () =>
      new KeyRing({
        db: t.storage.db,
        sealer: t.server.services.sealer,
        clock,
        random: secureRandom,
        policy,
      });
    const rotating = ring();
    const other = ring();
    await other.publicKeys();
    const rotatedAt = clock.now();
    const { kid } = await rotating.rotate(KEY_ROTATION_DELAY_SECONDS);
    // Each second, a verifier fetches the key set from either process and each process signs.
    let lastCopyWithout = Number.NEGATIVE_INFINITY;
    let firstSigned: number | undefined;
    for (let second = 0; second <= KEY_ROTATION_DELAY_SECONDS + 60; second += 1) {
      for (const process of [rotating, other]) {
        const published = (await process.publicKeys()).map((key) => key.kid);
        if (!published.includes(kid)) lastCopyWithout = clock.now();
        const signedWith = decodeProtectedHeader(await process.sign({ sub: 'x' })).kid;
        if (signedWith === kid) firstSigned ??= clock.now();
      }
      clock.advance(1000);
    }
    // The other process published it only at its next re-read of the key table...
    expect(lastCopyWithout).toBeGreaterThan(rotatedAt);
    // ...and a verifier keeps that older copy for the key set's max-age: it must have expired.
    expect(firstSigned).toBeDefined();
    expect(firstSigned!).toBeGreaterThanOrEqual(lastCopyWithout + DEFAULTS.keySetMaxAgeSeconds * 1000);
  });
});
