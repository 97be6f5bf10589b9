import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit, chainedAuditEntryBody, latestAudit, queryAudit } from '../../src/audit/audit-log.js';
import { parseErased } from '../../src/audit/chain.js';
import { CheckpointVerifier } from '../../src/audit/checkpoints.js';
import { eraseFromAudit } from '../../src/audit/erasure.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { manualClock } from '../../src/clock.js';
import { secureRandom } from '../../src/crypto/random.js';
import { createSealer } from '../../src/crypto/seal.js';
import { KeyRing } from '../../src/signing/signing-keys.js';
import type { Storage } from '../../src/storage/database.js';
import { type ScratchDatabase, testDatabases } from '../support/databases.js';

const DAY = 24 * 60 * 60_000;
const sealer = createSealer('45'.repeat(32), secureRandom);
const policy = { tokenTTLSeconds: 60, skewSeconds: 0 };
const DIGEST = 'ab'.repeat(32);

describe('parseErased', () => {
  it('reads what erasure writes, and refuses anything else instead of throwing', () => {
    expect(parseErased(null)).toEqual({});
    expect(parseErased('{}')).toEqual({});
    expect(parseErased(JSON.stringify({ actor: DIGEST, target_email: DIGEST }))).toEqual({
      actor: DIGEST,
      target_email: DIGEST,
    });
    for (const text of [
      'null',
      '{',
      '',
      '[]',
      '"x"',
      '5',
      '{"actor":5}',
      '{"actor":"short"}',
      `{"ip":"${DIGEST}"}`,
    ]) {
      expect(parseErased(text), text).toBeUndefined();
    }
  });
});

/** Tampering by someone with write access to the database, on every real database. */
describe.each(testDatabases)('audit chain tampering on $kind', (database) => {
  let scratch: ScratchDatabase;
  let storage: Storage;
  const clock = manualClock();
  let keys: KeyRing;

  beforeEach(async () => {
    scratch = await database.create();
    storage = await scratch.openMigrated();
    keys = new KeyRing({ db: storage.db, sealer, clock, random: secureRandom, policy, refreshMs: 0 });
    await keys.ensureKey();
  });
  afterEach(async () => {
    await storage.close();
    await scratch.drop();
  });

  const append = async (org: string, n: number, ts = clock.now()) => {
    for (let i = 0; i < n; i += 1) {
      await appendAudit(storage.db, ts + i, {
        org,
        action: 'role.granted',
        actor: { type: 'admin' },
        target: { email: `p${i}@example.com` },
        detail: { role: 'editor', i },
      });
    }
  };
  const verify = (org: string, from?: number) =>
    verifyAuditChain(storage.db, new CheckpointVerifier(storage.db, sealer), {
      org,
      ...(from === undefined ? {} : { from }),
    });
  const rowAt = (org: string, seq: number) =>
    storage.db
      .selectFrom('audit_events')
      .selectAll()
      .where('org', '=', org)
      .where('seq', '=', seq)
      .executeTakeFirstOrThrow();

  describe('undecodable stored values', () => {
    it.each(['null', '{', '[]', '{"actor":"not-a-digest"}'])(
      'erased = %s: reported as erasure_invalid, and the log stays readable',
      async (erased) => {
        await append('default', 8);
        const fifth = await rowAt('default', 5);
        await storage.db.updateTable('audit_events').set({ erased }).where('id', '=', fifth.id).execute();
        expect((await verify('default')).first_broken).toEqual({
          seq: 5,
          id: Number(fifth.id),
          reason: 'erasure_invalid',
        });
        const { entries } = await queryAudit(storage.db, { org: 'default', since: 0 });
        const entry = entries.find((candidate) => candidate.seq === 5)!;
        expect(entry.undecodable).toEqual({ erased });
        const body = chainedAuditEntryBody(entry);
        expect(body).not.toHaveProperty('erased');
        expect(body).toMatchObject({ seq: 5, undecodable: { erased }, detail: { role: 'editor', i: 4 } });
        expect((await latestAudit(storage.db, { org: 'default' })).length).toBe(8);
      },
    );

    it('an erased entry whose record of digests is lost no longer verifies: erasure_invalid', async () => {
      await appendAudit(storage.db, clock.now(), {
        org: 'acme',
        action: 'auth.sign_in',
        actor: { type: 'user', id: 'usr_1', email: 'pat@example.com' },
      });
      await storage.db.transaction().execute((trx) =>
        eraseFromAudit(trx, {
          userId: 'usr_1',
          email: 'pat@example.com',
          pseudonym: 'deleted-user-0123456789abcdef',
        }),
      );
      expect((await verify('acme')).ok).toBe(true);
      const first = await rowAt('acme', 1);
      await storage.db.updateTable('audit_events').set({ erased: '{' }).where('id', '=', first.id).execute();
      expect((await verify('acme')).first_broken).toEqual({
        seq: 1,
        id: Number(first.id),
        reason: 'erasure_invalid',
      });
    });

    it('erasure still removes the address from an entry whose erased was corrupted, and keeps it reported', async () => {
      await appendAudit(storage.db, clock.now(), {
        org: 'acme',
        action: 'role.granted',
        actor: { type: 'admin' },
        target: { email: 'pat@example.com' },
      });
      const first = await rowAt('acme', 1);
      await storage.db
        .updateTable('audit_events')
        .set({ erased: 'null' })
        .where('id', '=', first.id)
        .execute();
      await storage.db.transaction().execute((trx) =>
        eraseFromAudit(trx, {
          userId: 'usr_1',
          email: 'pat@example.com',
          pseudonym: 'deleted-user-0123456789abcdef',
        }),
      );
      const after = await rowAt('acme', 1);
      expect(JSON.stringify(after)).not.toContain('pat@example.com');
      expect(after.erased).toBe('null');
      expect((await verify('acme')).first_broken).toMatchObject({ seq: 1, reason: 'erasure_invalid' });
    });

    it.each(['{bad json', '[1,2]', '"text"', 'null'])(
      'detail = %s: verification reports the changed entry, and listing marks its stored text',
      async (detail) => {
        await append('default', 6);
        const third = await rowAt('default', 3);
        await storage.db.updateTable('audit_events').set({ detail }).where('id', '=', third.id).execute();
        expect((await verify('default')).first_broken).toEqual({
          seq: 3,
          id: Number(third.id),
          reason: 'hash_mismatch',
        });
        const { entries } = await queryAudit(storage.db, { org: 'default', since: 0 });
        expect(entries).toHaveLength(6);
        const entry = entries.find((candidate) => candidate.seq === 3)!;
        expect(entry.detail).toBeNull();
        expect(entry.undecodable).toEqual({ detail });
        const body = chainedAuditEntryBody(entry);
        expect(body).not.toHaveProperty('detail');
        expect(body.undecodable).toEqual({ detail });
        // Entries Pylon wrote carry no marker.
        expect(chainedAuditEntryBody(entries[0]!)).not.toHaveProperty('undecodable');
      },
    );
  });
});
