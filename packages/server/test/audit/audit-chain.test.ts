import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAudit } from '../../src/audit/audit-log.js';
import { chainHash, GENESIS_HASH } from '../../src/audit/chain.js';
import { CheckpointVerifier, writeCheckpoints } from '../../src/audit/checkpoints.js';
import { eraseFromAudit } from '../../src/audit/erasure.js';
import { pruneAudit } from '../../src/audit/retention.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { manualClock } from '../../src/clock.js';
import { secureRandom } from '../../src/crypto/random.js';
import { createSealer } from '../../src/crypto/seal.js';
import { KeyRing } from '../../src/signing/signing-keys.js';
import type { Storage } from '../../src/storage/database.js';
import { type ScratchDatabase, testDatabases } from '../support/databases.js';

const DAY = 24 * 60 * 60_000;
const sealer = createSealer('44'.repeat(32), secureRandom);
const policy = { tokenTTLSeconds: 60, skewSeconds: 0 };

describe.each(testDatabases)('audit hash chain on $kind', (database) => {
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

  const append = (org: string, n: number, ts = clock.now()) =>
    (async () => {
      for (let i = 0; i < n; i += 1) {
        await appendAudit(storage.db, ts + i, {
          org,
          action: 'role.granted',
          actor: { type: 'admin' },
          target: { email: `p${i}@example.com` },
          detail: { role: 'editor', i },
        });
      }
    })();
  const verify = (org: string, from?: number) =>
    verifyAuditChain(storage.db, new CheckpointVerifier(storage.db, sealer), {
      org,
      ...(from === undefined ? {} : { from }),
    });
  const idAt = async (org: string, seq: number) =>
    Number(
      (
        await storage.db
          .selectFrom('audit_events')
          .select('id')
          .where('org', '=', org)
          .where('seq', '=', seq)
          .executeTakeFirstOrThrow()
      ).id,
    );

  it('chains each org on its own, and an untouched chain verifies', async () => {
    await append('acme', 5);
    await append('globex', 3);
    await append('acme', 2);
    const acme = await verify('acme');
    expect(acme).toMatchObject({ ok: true, org: 'acme', from: 1, checked: 7, head: { seq: 7 } });
    expect((await verify('globex')).checked).toBe(3);
    expect(await verify('nobody')).toMatchObject({
      ok: true,
      checked: 0,
      head: { seq: 0, hash: GENESIS_HASH },
    });
    // --from: starts from the stored hash of the entry before it.
    expect(await verify('acme', 6)).toMatchObject({ ok: true, from: 6, checked: 2 });
  });

  it('reports the first broken link: a field changed, an entry deleted, two entries reordered', async () => {
    await append('acme', 8);
    const third = await idAt('acme', 3);
    await storage.db
      .updateTable('audit_events')
      .set({ action: 'role.revoked' })
      .where('id', '=', third)
      .execute();
    expect((await verify('acme')).first_broken).toEqual({ seq: 3, id: third, reason: 'hash_mismatch' });
    // A link after the changed one is still checked from there on.
    expect((await verify('acme', 4)).ok).toBe(true);
    await storage.db
      .updateTable('audit_events')
      .set({ action: 'role.granted' })
      .where('id', '=', third)
      .execute();
    expect((await verify('acme')).ok).toBe(true);

    const detail = await idAt('acme', 2);
    await storage.db
      .updateTable('audit_events')
      .set({ detail: JSON.stringify({ role: 'owner', i: 1 }) })
      .where('id', '=', detail)
      .execute();
    expect((await verify('acme')).first_broken).toEqual({ seq: 2, id: detail, reason: 'hash_mismatch' });
    await storage.db
      .updateTable('audit_events')
      .set({ detail: JSON.stringify({ role: 'editor', i: 1 }) })
      .where('id', '=', detail)
      .execute();

    const [five, six] = [await idAt('acme', 5), await idAt('acme', 6)];
    await storage.db.updateTable('audit_events').set({ seq: -5 }).where('id', '=', five).execute();
    await storage.db.updateTable('audit_events').set({ seq: 5 }).where('id', '=', six).execute();
    await storage.db.updateTable('audit_events').set({ seq: 6 }).where('id', '=', five).execute();
    expect((await verify('acme')).first_broken).toEqual({ seq: 5, id: six, reason: 'hash_mismatch' });
    await storage.db.updateTable('audit_events').set({ seq: -5 }).where('id', '=', six).execute();
    await storage.db.updateTable('audit_events').set({ seq: 5 }).where('id', '=', five).execute();
    await storage.db.updateTable('audit_events').set({ seq: 6 }).where('id', '=', six).execute();
    expect((await verify('acme')).ok).toBe(true);

    await storage.db
      .deleteFrom('audit_events')
      .where('id', '=', await idAt('acme', 4))
      .execute();
    expect((await verify('acme')).first_broken).toEqual({ seq: 4, id: null, reason: 'missing' });
  });

  it('catches a cut-off tail and an entry written outside the chain', async () => {
    await append('acme', 4);
    await storage.db.deleteFrom('audit_events').where('org', '=', 'acme').where('seq', '=', 4).execute();
    expect((await verify('acme')).first_broken).toEqual({ seq: 4, id: null, reason: 'missing' });

    await append('globex', 2);
    await storage.db
      .insertInto('audit_events')
      .values({ ts: clock.now(), org: 'globex', action: 'role.granted', actor: 'admin' } as never)
      .execute();
    expect((await verify('globex')).first_broken).toMatchObject({ seq: null, reason: 'unchained' });
  });

  it('a rewritten tail with every hash recomputed is caught by the signed checkpoint', async () => {
    await append('acme', 5);
    expect(await writeCheckpoints({ db: storage.db, keys, sealer }, clock.now())).toBe(1);
    // Nothing grew: no second checkpoint.
    expect(await writeCheckpoints({ db: storage.db, keys, sealer }, clock.now())).toBe(0);
    expect(await verify('acme')).toMatchObject({ ok: true, checkpoints: 1, last_checkpoint: { seq: 5 } });

    // Someone with database access rewrites entry 3 and recomputes 3..5 and the head.
    const rows = await storage.db
      .selectFrom('audit_events')
      .selectAll()
      .where('org', '=', 'acme')
      .orderBy('seq')
      .execute();
    let previous = rows[1]!.hash!;
    for (const row of rows.slice(2)) {
      const forged = row.seq === 3 || Number(row.seq) === 3 ? { ...row, action: 'role.revoked' } : row;
      const hash = chainHash(previous, { ...forged, seq: Number(forged.seq) });
      await storage.db
        .updateTable('audit_events')
        .set({ action: forged.action, hash })
        .where('id', '=', row.id)
        .execute();
      previous = hash;
    }
    await storage.db
      .updateTable('audit_chain_heads')
      .set({ hash: previous })
      .where('org', '=', 'acme')
      .execute();
    expect((await verify('acme')).first_broken).toEqual({
      seq: 5,
      id: await idAt('acme', 5),
      reason: 'checkpoint_mismatch',
    });

    // A forged signature, or a checkpoint by a key this deployment never sealed, does not pass either.
    await storage.db
      .updateTable('audit_checkpoints')
      .set({ kid: 'not-a-key' })
      .where('org', '=', 'acme')
      .execute();
    expect((await verify('acme')).first_broken?.reason).toBe('checkpoint_unknown_key');
  });

  it('checkpoints signed before a key rotation still verify after the old key left the key set', async () => {
    await append('acme', 3);
    await writeCheckpoints({ db: storage.db, keys, sealer }, clock.now());
    // Each rotation activates later than the key before it, so it is the one that signs.
    clock.advance(10);
    const first = await keys.rotate(0);
    await append('acme', 2);
    await writeCheckpoints({ db: storage.db, keys, sealer }, clock.now());
    // Past the old key's grace, the next rotation deletes it from signing_keys.
    clock.advance((policy.tokenTTLSeconds + 1) * 1000);
    const second = await keys.rotate(0);
    expect(second.removed).toHaveLength(1);
    await append('acme', 1);
    await writeCheckpoints({ db: storage.db, keys, sealer }, clock.now());
    const kids = await storage.db.selectFrom('audit_checkpoints').select('kid').orderBy('seq').execute();
    expect(new Set(kids.map((row) => row.kid)).size).toBe(3);
    expect(kids[1]!.kid).toBe(first.kid);
    expect(await verify('acme')).toMatchObject({ ok: true, checked: 6, checkpoints: 3 });
  });

  it('retention prunes a whole prefix, records the pruned head, and the rest still verifies', async () => {
    const start = clock.now();
    await append('acme', 4, start - 40 * DAY);
    await append('acme', 3, start - DAY);
    await append('globex', 2, start - DAY);
    await writeCheckpoints({ db: storage.db, keys, sealer }, start);
    const pruned = await pruneAudit(storage.db, start - 30 * DAY, start);
    expect(pruned).toEqual([{ org: 'acme', through: 4, entries: 4 }]);
    const report = await verify('acme');
    expect(report).toMatchObject({ ok: true, from: 5, pruned_through: 4, checked: 4, head: { seq: 8 } });
    const last = await storage.db
      .selectFrom('audit_events')
      .select(['action', 'detail'])
      .where('org', '=', 'acme')
      .where('seq', '=', 8)
      .executeTakeFirstOrThrow();
    expect(last.action).toBe('audit.pruned');
    expect(JSON.parse(last.detail!)).toMatchObject({ through_seq: 4, entries: 4 });
    // Nothing more to prune: no second entry.
    expect(await pruneAudit(storage.db, start - 30 * DAY, start)).toEqual([]);
    // The pruned head is bound by the first kept entry: it cannot be moved to hide more.
    await storage.db.deleteFrom('audit_events').where('org', '=', 'acme').where('seq', '=', 5).execute();
    await storage.db
      .updateTable('audit_chain_heads')
      .set({ pruned_seq: 5, pruned_hash: 'f'.repeat(64) })
      .where('org', '=', 'acme')
      .execute();
    expect((await verify('acme')).first_broken).toMatchObject({ seq: 6, reason: 'hash_mismatch' });
  });

  it('erasing a deleted person keeps the chain, and an erased field holds only the pseudonym', async () => {
    await appendAudit(storage.db, clock.now(), {
      org: 'acme',
      action: 'auth.sign_in',
      actor: { type: 'user', id: 'usr_1', email: 'pat@example.com' },
    });
    await append('acme', 2);
    await appendAudit(storage.db, clock.now(), {
      org: 'acme',
      action: 'role.granted',
      actor: { type: 'admin' },
      target: { email: 'pat@example.com' },
    });
    await storage.db.transaction().execute((trx) =>
      eraseFromAudit(trx, {
        userId: 'usr_1',
        email: 'pat@example.com',
        pseudonym: 'deleted-user-0123456789abcdef',
      }),
    );
    const rows = await storage.db
      .selectFrom('audit_events')
      .select(['actor', 'target', 'target_email'])
      .execute();
    expect(JSON.stringify(rows)).not.toContain('pat@example.com');
    expect(await verify('acme')).toMatchObject({ ok: true, checked: 4 });
    const first = await idAt('acme', 1);
    await storage.db
      .updateTable('audit_events')
      .set({ actor: 'someone-else' })
      .where('id', '=', first)
      .execute();
    expect((await verify('acme')).first_broken).toEqual({ seq: 1, id: first, reason: 'erasure_invalid' });
  });

  it.runIf(database.kind === 'postgres')(
    'stays one unbroken chain with several connection pools (as several processes) appending at once',
    async () => {
      const pools = await Promise.all([1, 2, 3, 4].map(() => Promise.resolve(scratch.open())));
      try {
        await Promise.all(
          pools.map(async (pool, p) => {
            await Promise.all(
              Array.from({ length: 5 }, async (_, lane) => {
                for (let i = 0; i < 5; i += 1) {
                  await appendAudit(pool.db, clock.now(), {
                    org: 'acme',
                    action: 'schema.pushed',
                    actor: { type: 'app', id: `app${p}` },
                    detail: { lane, i },
                  });
                }
              }),
            );
          }),
        );
      } finally {
        await Promise.all(pools.map((pool) => pool.close()));
      }
      expect(await verify('acme')).toMatchObject({ ok: true, checked: 100, head: { seq: 100 } });
      const { rows } = await sql<{ n: string }>`select count(distinct seq) as n from audit_events`.execute(
        storage.db,
      );
      expect(Number(rows[0]!.n)).toBe(100);
    },
  );
});
