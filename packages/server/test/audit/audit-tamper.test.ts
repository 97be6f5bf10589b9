import { PylonError } from '@pylon/core';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit, chainedAuditEntryBody, latestAudit, queryAudit } from '../../src/audit/audit-log.js';
import { chainHash, GENESIS_HASH, parseErased } from '../../src/audit/chain.js';
import { CheckpointVerifier, storeCheckpoint, writeCheckpoints } from '../../src/audit/checkpoints.js';
import { eraseFromAudit } from '../../src/audit/erasure.js';
import { pruneAudit, readPruneRecord } from '../../src/audit/retention.js';
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

describe('readPruneRecord', () => {
  it('reads the place and hash an audit.pruned entry records, with or without the hash (older entries)', () => {
    expect(readPruneRecord(JSON.stringify({ through_seq: 4, through_hash: DIGEST, entries: 4 }))).toEqual({
      throughSeq: 4,
      throughHash: DIGEST,
    });
    expect(readPruneRecord(JSON.stringify({ through_seq: 4, entries: 4, older_than: 1 }))).toEqual({
      throughSeq: 4,
    });
    for (const text of [
      null,
      '{bad',
      'null',
      '{}',
      '{"through_seq":"4"}',
      '{"through_seq":0}',
      '{"through_seq":4,"through_hash":1}',
    ]) {
      expect(readPruneRecord(text), String(text)).toBeNull();
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
  const checkpoint = () => writeCheckpoints({ db: storage.db, keys, sealer }, clock.now());
  /** A forged entry at a place of the tester's choosing, as a plain insert would write it. */
  const forge = (org: string, seq: number) =>
    storage.db
      .insertInto('audit_events')
      .values({
        ts: clock.now(),
        org,
        action: 'role.granted',
        actor: 'admin',
        actor_type: 'admin',
        target: 'mallory@example.com',
        detail: '{"role":"owner"}',
        seq,
        hash: '00',
      } as never)
      .returning('id')
      .executeTakeFirstOrThrow();

  describe('the pruned head', () => {
    it('moved over a deleted prefix with no retention configured: prune_unrecorded, not ok', async () => {
      await append('default', 36);
      const { hash: h10 } = await rowAt('default', 10);
      await sql`delete from audit_events where org = 'default' and seq <= 10`.execute(storage.db);
      await sql`update audit_chain_heads set pruned_seq = 10, pruned_hash = ${h10} where org = 'default'`.execute(
        storage.db,
      );
      const report = await verify('default');
      expect(report).toMatchObject({ ok: false, from: 11, checked: 26, pruned_through: 10 });
      expect(report.first_broken).toEqual({ seq: 10, id: null, reason: 'prune_unrecorded' });
      // Starting later changes nothing: the pruned head is checked against the chain all the same.
      expect((await verify('default', 20)).first_broken?.reason).toBe('prune_unrecorded');
    });

    it('retention records the head it prunes in its audit.pruned entry, and the head cannot be moved past it', async () => {
      const start = clock.now();
      await append('acme', 6, start - 40 * DAY);
      await append('acme', 3, start - DAY);
      const { hash: h6 } = await rowAt('acme', 6);
      expect(await pruneAudit(storage.db, start - 30 * DAY, start)).toEqual([
        { org: 'acme', through: 6, entries: 6 },
      ]);
      const pruned = await rowAt('acme', 10);
      expect(pruned.action).toBe('audit.pruned');
      expect(JSON.parse(pruned.detail!)).toMatchObject({ through_seq: 6, through_hash: h6, entries: 6 });
      expect(await verify('acme')).toMatchObject({ ok: true, from: 7, checked: 4, pruned_through: 6 });

      // Two more entries go, and the head is moved over them with the last one's stored hash.
      const { hash: h8 } = await rowAt('acme', 8);
      await sql`delete from audit_events where org = 'acme' and seq in (7, 8)`.execute(storage.db);
      await sql`update audit_chain_heads set pruned_seq = 8, pruned_hash = ${h8} where org = 'acme'`.execute(
        storage.db,
      );
      expect((await verify('acme')).first_broken).toEqual({ seq: 8, id: null, reason: 'prune_unrecorded' });
    });

    it('the whole chain deleted, its latest audit.pruned entry with it: prune_unrecorded', async () => {
      const start = clock.now();
      await append('acme', 3, start - 40 * DAY);
      await append('acme', 2, start - DAY);
      await pruneAudit(storage.db, start - 30 * DAY, start);
      await append('acme', 2);
      const head = await rowAt('acme', 8);
      await sql`delete from audit_events where org = 'acme'`.execute(storage.db);
      await sql`update audit_chain_heads set pruned_seq = 8, pruned_hash = ${head.hash} where org = 'acme'`.execute(
        storage.db,
      );
      expect((await verify('acme')).first_broken).toEqual({ seq: 8, id: null, reason: 'prune_unrecorded' });
    });

    it('an audit.pruned entry written before the hash was recorded still verifies, and still binds the place', async () => {
      const start = clock.now();
      await append('acme', 4, start - 40 * DAY);
      await append('acme', 3, start - DAY);
      await pruneAudit(storage.db, start - 30 * DAY, start);
      // As an older Pylon wrote it: no through_hash (the entry is the head, so re-chain it and the head).
      const entry = await rowAt('acme', 8);
      const detail = JSON.stringify({ through_seq: 4, entries: 4, older_than: start - 30 * DAY });
      const { hash: before } = await rowAt('acme', 7);
      const hash = chainHash(before!, { ...entry, seq: 8, detail });
      await storage.db.updateTable('audit_events').set({ detail, hash }).where('id', '=', entry.id).execute();
      await storage.db
        .updateTable('audit_chain_heads')
        .set({ seq: 8, hash })
        .where('org', '=', 'acme')
        .execute();
      expect(await verify('acme')).toMatchObject({ ok: true, checked: 4, pruned_through: 4 });

      const { hash: h5 } = await rowAt('acme', 5);
      await sql`delete from audit_events where org = 'acme' and seq = 5`.execute(storage.db);
      await sql`update audit_chain_heads set pruned_seq = 5, pruned_hash = ${h5} where org = 'acme'`.execute(
        storage.db,
      );
      expect((await verify('acme')).first_broken).toEqual({ seq: 5, id: null, reason: 'prune_unrecorded' });
    });

    it('a record changed to match a moved head breaks that entry instead', async () => {
      const start = clock.now();
      await append('acme', 4, start - 40 * DAY);
      await append('acme', 3, start - DAY);
      await pruneAudit(storage.db, start - 30 * DAY, start);
      const { hash: h5 } = await rowAt('acme', 5);
      const record = await rowAt('acme', 8);
      await sql`delete from audit_events where org = 'acme' and seq = 5`.execute(storage.db);
      await sql`update audit_chain_heads set pruned_seq = 5, pruned_hash = ${h5} where org = 'acme'`.execute(
        storage.db,
      );
      await storage.db
        .updateTable('audit_events')
        .set({ detail: JSON.stringify({ ...JSON.parse(record.detail!), through_seq: 5, through_hash: h5 }) })
        .where('id', '=', record.id)
        .execute();
      expect((await verify('acme')).first_broken).toEqual({
        seq: 8,
        id: Number(record.id),
        reason: 'hash_mismatch',
      });
    });

    it('a checkpoint left in the pruned range is inconsistent with pruning, unless it signs the pruned head itself', async () => {
      const start = clock.now();
      await append('acme', 2, start - 40 * DAY);
      await checkpoint();
      await append('acme', 2, start - 40 * DAY + 10);
      await checkpoint();
      await append('acme', 3, start - DAY);
      const signed = await storage.db.selectFrom('audit_checkpoints').selectAll().orderBy('seq').execute();
      expect(signed.map((row) => Number(row.seq))).toEqual([2, 4]);
      await pruneAudit(storage.db, start - 30 * DAY, start);
      expect(await storage.db.selectFrom('audit_checkpoints').selectAll().execute()).toEqual([]);
      expect((await verify('acme')).ok).toBe(true);

      // The checkpoint at the pruned head signs exactly the hash recorded: consistent.
      await storage.db.insertInto('audit_checkpoints').values(signed[1]!).execute();
      expect(await verify('acme')).toMatchObject({ ok: true, pruned_through: 4 });
      // One inside the pruned range proves the chain reached a place that pruning would have taken it with.
      await storage.db.insertInto('audit_checkpoints').values(signed[0]!).execute();
      expect((await verify('acme')).first_broken).toEqual({ seq: 2, id: null, reason: 'prune_unrecorded' });
      // So is a checkpoint at the pruned head that does not verify.
      await storage.db.deleteFrom('audit_checkpoints').where('seq', '=', 2).execute();
      await storage.db
        .updateTable('audit_checkpoints')
        .set({ kid: 'not-a-key' })
        .where('seq', '=', 4)
        .execute();
      expect((await verify('acme')).first_broken).toEqual({ seq: 4, id: null, reason: 'prune_unrecorded' });
    });

    it('a checkpoint signed before a concurrent prune is not stored at a pruned place', async () => {
      const start = clock.now();
      await append('acme', 4, start - 40 * DAY);
      await append('acme', 1, start - DAY);
      const { hash } = await rowAt('acme', 4);
      await pruneAudit(storage.db, start - 30 * DAY, start);
      const signature = await keys.sign({ typ: 'pylon-audit-checkpoint', org: 'acme', seq: 4, hash, iat: 1 });
      const stale = { org: 'acme', seq: 4, hash: hash!, kid: 'k', signature, at: start };
      expect(await storeCheckpoint(storage.db, stale)).toBe(false);
      expect(await storeCheckpoint(storage.db, { ...stale, seq: 6 })).toBe(true);
      expect(
        (await storage.db.selectFrom('audit_checkpoints').select('seq').execute()).map((row) =>
          Number(row.seq),
        ),
      ).toEqual([6]);
    });
  });

  describe('entries outside the chain', () => {
    it.each([
      ['place 0', 0],
      ['a negative place', -4],
      ['the place after the head', 37],
    ])('a forged entry at %s: listed, and verification reports it as outside_chain', async (_, seq) => {
      await append('default', 36);
      const { id } = await forge('default', seq);
      const listed = await queryAudit(storage.db, { org: 'default', since: 0, limit: 1000 });
      expect(listed.entries.filter((entry) => entry.target === 'mallory@example.com')).toHaveLength(1);
      const report = await verify('default');
      expect(report).toMatchObject({ ok: false, outside_chain: 1 });
      expect(report.first_broken).toEqual({ seq, id: Number(id), reason: 'outside_chain' });
    });

    it('counts every entry outside the chain and names the lowest place', async () => {
      await append('acme', 3);
      await forge('acme', 4);
      await forge('acme', 9);
      const { id } = await forge('acme', -1);
      const report = await verify('acme');
      expect(report).toMatchObject({ ok: false, outside_chain: 3 });
      expect(report.first_broken).toEqual({ seq: -1, id: Number(id), reason: 'outside_chain' });
      // An org with no chain at all: every entry it has is outside.
      await forge('nobody', 1);
      expect(await verify('nobody')).toMatchObject({ ok: false, outside_chain: 1 });
      // Another org's chain is not affected.
      await append('globex', 2);
      expect(await verify('globex')).toMatchObject({ ok: true, checked: 2 });
    });

    it('an entry left at a pruned place is outside the chain', async () => {
      const start = clock.now();
      await append('acme', 4, start - 40 * DAY);
      await append('acme', 1, start - DAY);
      await pruneAudit(storage.db, start - 30 * DAY, start);
      expect(await verify('acme')).toMatchObject({ ok: true });
      expect(await verify('acme')).not.toHaveProperty('outside_chain');
      await forge('acme', 2);
      expect((await verify('acme')).first_broken).toMatchObject({ seq: 2, reason: 'outside_chain' });
    });

    it('an entry at the next place stops appends with audit_chain_broken, and nothing is written', async () => {
      await append('acme', 3);
      const { id } = await forge('acme', 4);
      const refused = await append('acme', 1).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(PylonError);
      expect(refused).toMatchObject({ code: 'audit_chain_broken', status: 500 });
      expect((refused as PylonError).cause).toBeInstanceOf(Error);
      expect(String((refused as { cause: Error }).cause.message)).toContain('place 4');
      const head = await storage.db
        .selectFrom('audit_chain_heads')
        .select('seq')
        .where('org', '=', 'acme')
        .executeTakeFirstOrThrow();
      expect(Number(head.seq)).toBe(3);
      // Other orgs append as before; once the entry is gone, so does this one.
      await append('globex', 1);
      await storage.db.deleteFrom('audit_events').where('id', '=', id).execute();
      await append('acme', 1);
      expect(await verify('acme')).toMatchObject({ ok: true, checked: 4 });
    });
  });

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

  it('an untouched chain, pruned and checkpointed, still verifies with every check in place', async () => {
    const start = clock.now();
    await append('acme', 5, start - 40 * DAY);
    await checkpoint();
    await append('acme', 5, start - DAY);
    await checkpoint();
    await pruneAudit(storage.db, start - 30 * DAY, start);
    await append('acme', 2);
    await checkpoint();
    await pruneAudit(storage.db, start - 30 * DAY, start);
    const report = await verify('acme');
    expect(report).toMatchObject({ ok: true, from: 6, checked: 8, pruned_through: 5, checkpoints: 2 });
    expect(report).not.toHaveProperty('first_broken');
    expect(await verify('empty')).toMatchObject({ ok: true, head: { seq: 0, hash: GENESIS_HASH } });
  });
});
