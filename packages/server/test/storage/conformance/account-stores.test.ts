import { expect, it } from 'vitest';
import { secureRandom } from '../../../src/crypto/random.js';
import { EmailChangeStore } from '../../../src/features/account/email-change-store.js';
import { SessionStore } from '../../../src/features/identity/session-store.js';
import { EmailTakenError, UserStore } from '../../../src/features/identity/user-store.js';
import { OrgStore } from '../../../src/features/orgs/org-store.js';
import { onEveryDatabase, seedOrg, seedUser, T0, unique } from './harness.js';

onEveryDatabase('account life-cycle stores', (backend) => {
  const users = () => new UserStore(backend.storage().db, secureRandom);

  it('changeEmail switches and verifies the address; a taken one is EmailTakenError and changes nothing', async () => {
    const db = backend.storage().db;
    const id = await seedUser(backend.storage(), `${unique('a')}@example.com`);
    const taken = `${unique('b')}@example.com`;
    await seedUser(backend.storage(), taken);
    const fresh = `${unique('C')}@Example.com`;
    expect(await users().changeEmail(db, id, fresh, T0 + 5)).toBe(true);
    expect(await users().findById(id)).toMatchObject({ email: fresh.toLowerCase(), emailVerifiedAt: T0 + 5 });
    await expect(
      db.transaction().execute((trx) => users().changeEmail(trx, id, taken, T0 + 6)),
    ).rejects.toBeInstanceOf(EmailTakenError);
    expect((await users().findById(id))?.email).toBe(fresh.toLowerCase());
  });

  it('lists and unlinks only the account’s own identities; delete removes the user and its links', async () => {
    const db = backend.storage().db;
    const owner = await seedUser(backend.storage());
    const stranger = await seedUser(backend.storage());
    const subject = unique('s-');
    await users().linkIdentity(db, { provider: 'github', subject, userId: owner, email: null, now: T0 });
    expect(await users().listIdentities(owner)).toEqual([
      { provider: 'github', subject, email: null, createdAt: T0 },
    ]);
    expect(await users().unlinkIdentity(db, stranger, 'github', subject)).toBe(false);
    expect(await users().lock(db, owner)).toBe(true);
    expect(await users().delete(db, owner)).toBe(true);
    expect(await users().findLinkedUser('github', subject)).toBeNull();
    expect(await users().lock(db, owner)).toBe(false);
  });

  it('a refresh keeps the sign-in time; findLive reads it', async () => {
    const sessions = new SessionStore(backend.storage().db, secureRandom);
    const userId = await seedUser(backend.storage());
    const { session } = await sessions.create(T0, { userId, kind: 'browser', ttlSeconds: 3600 });
    expect((await sessions.findLive(userId, session.id, T0 + 1))?.authenticatedAt).toBe(T0);
    const rotated = await sessions.rotate(userId, session.id, T0 + 1000, {
      ttlSeconds: () => 3600,
      device: null,
      ip: null,
    });
    const live = await sessions.findLive(userId, rotated!.session.id, T0 + 1001);
    expect(live).toMatchObject({ createdAt: T0 + 1000, authenticatedAt: T0 });
    expect(await sessions.findLive(userId, rotated!.session.id, T0 + 3_600_000 + 1000)).toBeNull();
  });

  it('soleOwnerOf names only orgs without another owner; removeAllMemberships clears them', async () => {
    const storage = backend.storage();
    const orgs = new OrgStore(storage.db, storage.dialect);
    const me = await seedUser(storage);
    const other = await seedUser(storage);
    const alone = await seedOrg(storage);
    const shared = await seedOrg(storage);
    const member = await seedOrg(storage);
    await orgs.addMember(storage.db, alone, me, 'owner', T0);
    await orgs.addMember(storage.db, shared, me, 'owner', T0);
    await orgs.addMember(storage.db, shared, other, 'owner', T0);
    await orgs.addMember(storage.db, member, me, 'member', T0);
    expect(await orgs.soleOwnerOf(me)).toEqual([alone]);
    expect(await orgs.ownedOrgs(me)).toEqual([alone, shared].sort());
    expect(await orgs.removeAllMemberships(storage.db, me)).toBe(3);
    expect(await orgs.soleOwnerOf(me)).toEqual([]);
  });

  it('a new email-change request replaces the pending one; complete takes it once, for that address', async () => {
    const db = backend.storage().db;
    const changes = new EmailChangeStore(db);
    const userId = await seedUser(backend.storage());
    await changes.request(userId, 'first@example.com', T0);
    await changes.request(userId, 'second@example.com', T0 + 1);
    expect(await changes.pending(userId, T0 + 2)).toBe('second@example.com');
    expect(await changes.complete(db, userId, 'first@example.com')).toBe(false);
    expect(await changes.complete(db, userId, 'second@example.com')).toBe(true);
    expect(await changes.complete(db, userId, 'second@example.com')).toBe(false);
    await changes.request(userId, 'third@example.com', T0);
    expect(await changes.pending(userId, T0 + 10 * 60 * 1000)).toBeNull();
  });
});
