import { expect, it } from 'vitest';
import { secureRandom } from '../../../src/crypto/random.js';
import {
  TRUSTED_DEVICE_TTL_MS,
  TrustedDeviceStore,
} from '../../../src/features/trusted-devices/trusted-device-store.js';
import { onEveryDatabase, seedUser, T0 } from './harness.js';

onEveryDatabase('TrustedDeviceStore', (backend) => {
  const store = () => new TrustedDeviceStore(backend.storage().db, secureRandom);
  const db = () => backend.storage().db;

  it('a token vouches only for its own user, only until it expires, and records its use', async () => {
    const owner = await seedUser(backend.storage());
    const other = await seedUser(backend.storage());
    const device = await store().add(db(), { userId: owner, label: 'Firefox', now: T0 });
    expect(device.expiresAt).toBe(T0 + TRUSTED_DEVICE_TTL_MS);
    expect(await store().use(other, device.token, T0 + 1)).toBe(false);
    expect(await store().use(owner, `${device.token}x`, T0 + 1)).toBe(false);
    expect(await store().use(owner, device.token, T0 + 5)).toBe(true);
    expect(await store().list(owner, T0 + 6)).toEqual([
      { id: device.id, label: 'Firefox', createdAt: T0, lastUsedAt: T0 + 5, expiresAt: device.expiresAt },
    ]);
    expect(await store().use(owner, device.token, device.expiresAt)).toBe(false);
    expect(await store().list(owner, device.expiresAt)).toEqual([]);
    const row = await db()
      .selectFrom('trusted_devices')
      .selectAll()
      .where('id', '=', device.id)
      .executeTakeFirst();
    expect(row!.token_hash).not.toContain(device.token);
  });

  it('revokes one device of its user only, or all of them', async () => {
    const owner = await seedUser(backend.storage());
    const other = await seedUser(backend.storage());
    const a = await store().add(db(), { userId: owner, label: null, now: T0 });
    const b = await store().add(db(), { userId: owner, label: null, now: T0 });
    const theirs = await store().add(db(), { userId: other, label: null, now: T0 });
    expect(await store().revoke(owner, theirs.id)).toBe(false);
    expect(await store().revoke(owner, a.id)).toBe(true);
    expect(await store().revoke(owner, a.id)).toBe(false);
    expect(await store().use(owner, a.token, T0)).toBe(false);
    expect(await store().revokeAll(owner)).toBe(1);
    expect(await store().use(owner, b.token, T0)).toBe(false);
    expect(await store().use(other, theirs.token, T0)).toBe(true);
  });
});
