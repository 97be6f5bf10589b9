import { expect, it } from 'vitest';
import { secureRandom } from '../../../src/crypto/random.js';
import { PasskeyStore } from '../../../src/features/passkeys/passkey-store.js';
import { onEveryDatabase, seedUser, T0 } from './harness.js';

onEveryDatabase('PasskeyStore', (backend) => {
  it('consumes a challenge once, only for its purpose, binding and lifetime, even when two race', async () => {
    const store = new PasskeyStore(backend.storage().db, secureRandom);
    const other = new PasskeyStore(backend.other().db, secureRandom);
    const userId = await seedUser(backend.storage());
    const save = (challenge: string) =>
      store.saveChallenge({
        challenge,
        purpose: 'login',
        boundTo: 'b',
        userId,
        expiresAt: T0 + 1000,
        now: T0,
      });
    await save('c1');
    const ask = (
      s: PasskeyStore,
      over: Partial<{ purpose: 'login' | 'register'; boundTo: string; now: number }>,
    ) => s.consumeChallenge({ challenge: 'c1', purpose: 'login', boundTo: 'b', now: T0, ...over });
    expect(await ask(store, { purpose: 'register' })).toBeNull();
    expect(await ask(store, { boundTo: 'elsewhere' })).toBeNull();
    expect(await ask(store, { now: T0 + 1000 })).toBeNull();
    const raced = await Promise.all([ask(store, {}), ask(other, {})]);
    expect(raced.filter((r) => r !== null)).toEqual([{ challenge: 'c1', userId }]);
  });

  it('raises the counter only upward (or keeps a zero counter), once per value', async () => {
    const storage = backend.storage();
    const store = new PasskeyStore(storage.db, secureRandom);
    const userId = await seedUser(storage);
    const input = { userId, publicKey: 'k', counter: 0, transports: [], name: 'P', now: T0 };
    const zero = (await store.create({ ...input, credentialId: 'zero' }))!;
    expect(await store.recordUse(storage.db, zero.id, 0, T0)).toBe(true);
    expect(await store.recordUse(storage.db, zero.id, 0, T0)).toBe(true);
    const counted = (await store.create({ ...input, credentialId: 'counted' }))!;
    expect(await store.create({ ...input, credentialId: 'counted' })).toBeNull();
    expect(await store.recordUse(storage.db, counted.id, 5, T0)).toBe(true);
    expect(await store.recordUse(storage.db, counted.id, 5, T0)).toBe(false);
    expect(await store.recordUse(storage.db, counted.id, 4, T0)).toBe(false);
    expect(await store.recordUse(storage.db, counted.id, 0, T0)).toBe(false);
    expect((await store.findByCredentialId('counted'))?.counter).toBe(5);
    expect(await store.removeAllOf(storage.db, userId)).toBe(2);
  });
});
