import type { ReadyResponse } from '@pylon/core/wire';
import { sql } from 'kysely';
import type { Services } from '../../http/context.js';
import type { DB } from '../../storage/database.js';
import { MIGRATION_NAMES } from '../../storage/migrations/index.js';

/**
 * Kysely's PostgreSQL migrator serialises migrators with `pg_advisory_xact_lock` on this key
 * (kysely's postgres-adapter LOCK_ID). pg_locks shows a bigint advisory key as its high 32 bits in
 * `classid` and its low 32 in `objid`, with `objsubid` 1.
 */
const MIGRATION_LOCK = BigInt('3853314791062309107');
const LOCK_CLASS_ID = Number(MIGRATION_LOCK >> 32n);
const LOCK_OBJECT_ID = Number(MIGRATION_LOCK & 0xffffffffn);

/** A database that neither answers nor fails (a dropped network path) is unreachable after this. */
const PING_TIMEOUT_MS = 2_000;

type MigrationState = ReadyResponse['migrations'];

async function pingWithin(services: Services, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([services.storage.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Where the schema stands: `running` while any process's migrator holds the PostgreSQL migration
 * lock (SQLite's migrator holds the write lock instead, which readers cannot see: there a
 * migration in progress shows as `pending` until it commits), `pending` while the database lacks a
 * migration this build knows (a restore of an older backup, or a migration not yet committed).
 */
export async function migrationState(db: DB, dialect: 'sqlite' | 'postgres'): Promise<MigrationState> {
  if (dialect === 'postgres') {
    // Advisory locks belong to a database: a migrator of another database on the server is not ours.
    const { rows } = await sql<{ held: number }>`select count(*)::int as held from pg_locks
      where locktype = 'advisory' and classid = ${LOCK_CLASS_ID}::oid
        and objid = ${LOCK_OBJECT_ID}::oid and objsubid = 1
        and database = (select oid from pg_database where datname = current_database())`.execute(db);
    if (Number(rows[0]?.held ?? 0) > 0) return 'running';
  }
  const applied = new Set(
    (await sql<{ name: string }>`select name from pylon_migrations`.execute(db)).rows.map((row) => row.name),
  );
  return MIGRATION_NAMES.every((name) => applied.has(name)) ? 'ok' : 'pending';
}

/** `GET /ready`: ready when the database answers, its schema is this build's and a key signs. */
export async function checkReadiness(services: Services): Promise<ReadyResponse> {
  const { storage, keys } = services;
  const databaseOK = await pingWithin(services, PING_TIMEOUT_MS);
  const migrations: MigrationState = databaseOK
    ? await migrationState(storage.db, storage.dialect).catch((): MigrationState => 'unknown')
    : 'unknown';
  const keyOK = databaseOK && (await keys.hasSigningKey().catch(() => false));
  return {
    status: databaseOK && migrations === 'ok' && keyOK ? 'ready' : 'not_ready',
    database: databaseOK ? 'ok' : 'unreachable',
    migrations,
    signing_key: keyOK ? 'ok' : 'missing',
  };
}
