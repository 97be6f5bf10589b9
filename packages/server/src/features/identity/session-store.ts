import { sql } from 'kysely';
import { type Awaitable, thenNow } from '../../awaitable.js';
import { type Random, toHex } from '../../crypto/random.js';
import { generateSessionToken, hashToken } from '../../crypto/tokens.js';
import { type CapabilityReading, EVERY_ORG } from '../../storage/capability-versions.js';
import type { DB } from '../../storage/database.js';
import {
  bindEach,
  type PreparedQuery,
  prepareBatchableQuery,
  prepareWrite,
} from '../../storage/prepared-query.js';
import type { OrgRole, SessionKind, SessionsTable } from '../../storage/schema.js';

export interface SessionRecord {
  id: string;
  /** `pylon_` + the first 4 hex characters: enough to recognise a session, useless to guess one. */
  tokenPrefix: string;
  userId: string;
  activeOrg: string | null;
  kind: SessionKind;
  device: string | null;
  ip: string | null;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

/** A session joined with the fields of its user that caller resolution needs. */
export interface ResolvedSession extends SessionRecord {
  email: string | null;
  emailVerifiedAt: number | null;
  isGuest: boolean;
  /** The user's role in the session's active org, if they are (still) a member. */
  orgRole: OrgRole | null;
  /** The capability version of the org the look-up was asked about, read in the same statement. */
  capabilityVersion: CapabilityReading | null;
}

/**
 * What one look-up of a token found: a live session, one that has expired (told apart so the RBAC
 * surface can answer `expired`), or nothing usable (never issued, revoked, swept, or its user
 * disabled).
 */
export type SessionLookup =
  | { kind: 'ok'; session: ResolvedSession }
  | { kind: 'expired' }
  | { kind: 'unknown' };

export interface NewSession {
  userId: string;
  kind: SessionKind;
  ttlSeconds: number;
  activeOrg?: string | null;
  device?: string | null;
  ip?: string | null;
  /** When the holder signed in; `now` for a new sign-in, carried over by a refresh. */
  authenticatedAt?: number | null;
}

/** Only the public prefix of a token is ever shown back (session lists), never the rest. */
export function tokenPrefix(token: string): string {
  return token.slice(0, 'pylon_'.length + 4);
}

const DEVICE_MAX = 256;

type SessionRow = Omit<SessionsTable, 'token_hash'>;

function toRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    tokenPrefix: row.token_prefix,
    userId: row.user_id,
    activeOrg: row.active_org,
    kind: row.kind,
    device: row.device,
    ip: row.ip,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
  };
}

/**
 * The hot-path look-up, built once per store: `lookup` runs it with a fresh token hash instead of
 * rebuilding and recompiling the query on every request. It reads the row whatever its expiry and
 * its user's state, so one read tells a live session from an expired or a disabled one.
 */
function prepareLookupQuery(db: DB) {
  return prepareBatchableQuery(
    'tokenHash',
    (value: (name: 'tokenHash' | 'versionOrg' | 'everyOrg') => string, many) =>
      db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        // The caller's role in the session's active org rides along: still one indexed read.
        .leftJoin('org_members', (join) =>
          join
            .onRef('org_members.org_id', '=', 'sessions.active_org')
            .onRef('org_members.user_id', '=', 'sessions.user_id'),
        )
        .select([
          'sessions.id',
          'sessions.token_prefix',
          'sessions.user_id',
          'sessions.active_org',
          'sessions.kind',
          'sessions.device',
          'sessions.ip',
          'sessions.created_at',
          'sessions.last_seen_at',
          'sessions.expires_at',
          'users.email',
          'users.email_verified_at',
          'users.is_guest',
          'org_members.role as org_role',
          'users.disabled_at',
          // What the batched form (PostgreSQL) tells its rows apart by; never leaves the store.
          'sessions.token_hash',
          // The capability version of the org the request acts in rides along too (the same sum
          // storage/capability-versions.ts reads), so a cached capability answer costs no second
          // statement: one read transaction per request instead of two.
          (eb) =>
            eb
              .selectFrom('capability_versions')
              .select((inner) => inner.fn.sum<number | string | null>('capability_versions.version').as('v'))
              .where('capability_versions.org_id', 'in', [value('versionOrg'), value('everyOrg')])
              .as('capability_version'),
        ])
        // Batched (PostgreSQL): every token hash the look-ups that arrived together asked for.
        .where(
          'sessions.token_hash',
          '=',
          many ? sql<string>`any(${value('tokenHash')})` : value('tokenHash'),
        ),
    (row) => row.token_hash,
  );
}

/** The columns a session record is read from (listing, the live session), never the token hash. */
const RECORD_COLUMNS = [
  'id',
  'token_prefix',
  'user_id',
  'active_org',
  'kind',
  'device',
  'ip',
  'created_at',
  'last_seen_at',
  'expires_at',
] as const;

/** Every column of a new session's row (`create`): the record's, the token's hash, when it was proven. */
const NEW_SESSION_COLUMNS = [...RECORD_COLUMNS, 'token_hash', 'authenticated_at'] as const;
type NewSessionColumn = (typeof NEW_SESSION_COLUMNS)[number];

/** A session look-up's answer from the row its read found (none: `unknown`). */
function sessionLookupOf(row: LookupRow | undefined, now: number, versionOrg: string | null): SessionLookup {
  if (!row) return { kind: 'unknown' };
  if (Number(row.expires_at) <= now) return { kind: 'expired' };
  if (row.disabled_at !== null) return { kind: 'unknown' };
  // One literal (not toRecord spread into another): this runs on every authenticated request.
  const session: ResolvedSession = {
    id: row.id,
    tokenPrefix: row.token_prefix,
    userId: row.user_id,
    activeOrg: row.active_org,
    kind: row.kind,
    device: row.device,
    ip: row.ip,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    email: row.email,
    emailVerifiedAt: row.email_verified_at === null ? null : Number(row.email_verified_at),
    isGuest: Number(row.is_guest) === 1,
    orgRole: row.org_role ?? null,
    capabilityVersion:
      versionOrg === null ? null : { orgId: versionOrg, version: Number(row.capability_version ?? 0) },
  };
  return { kind: 'ok', session };
}

type LookupRow = Awaited<ReturnType<ReturnType<typeof prepareLookupQuery>['run']>>[number];

/**
 * Sessions: tokens are `pylon_` + 64 hex from the CSPRNG and only their SHA-256 is stored.
 * Every method is one statement, so rotation and revocation hold on every process
 * at once: the next look-up by hash simply finds nothing.
 */
export class SessionStore {
  private readonly lookupQuery: ReturnType<typeof prepareLookupQuery>;
  private readonly insertStatement: PreparedQuery<never, NewSessionColumn>;

  constructor(
    private readonly db: DB,
    private readonly random: Random,
  ) {
    this.lookupQuery = prepareLookupQuery(db);
    this.insertStatement = prepareWrite<never, NewSessionColumn>((value) =>
      db.insertInto('sessions').values(bindEach(NEW_SESSION_COLUMNS, value)),
    );
  }

  async create(
    now: number,
    input: NewSession,
    db: DB = this.db,
  ): Promise<{ token: string; session: SessionRecord }> {
    const token = generateSessionToken(this.random);
    const session: SessionRecord = {
      id: toHex(this.random.bytes(12)),
      tokenPrefix: tokenPrefix(token),
      userId: input.userId,
      activeOrg: input.activeOrg ?? null,
      kind: input.kind,
      device: input.device?.slice(0, DEVICE_MAX) ?? null,
      ip: input.ip ?? null,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + input.ttlSeconds * 1000,
    };
    await this.insertStatement.run(db, {
      id: session.id,
      token_hash: hashToken(token),
      token_prefix: session.tokenPrefix,
      user_id: session.userId,
      active_org: session.activeOrg,
      kind: session.kind,
      device: session.device,
      ip: session.ip,
      created_at: now,
      last_seen_at: now,
      expires_at: session.expiresAt,
      authenticated_at: input.authenticatedAt === undefined ? now : input.authenticatedAt,
    });
    return { token, session };
  }

  /**
   * One indexed read by token hash; never writes. An expired session is `expired` even when its
   * user has since been disabled (the token is dead either way); a disabled user's live session
   * is `unknown`, as a revoked one is. With `versionOrg`, a live session also carries that org's
   * capability version, read by the same statement (CapabilityResolver takes it instead of a read).
   */
  lookup(token: string, now: number, versionOrg: string | null = null): Awaitable<SessionLookup> {
    const rows = this.lookupQuery.read(this.db, {
      tokenHash: hashToken(token),
      versionOrg: versionOrg ?? EVERY_ORG,
      everyOrg: EVERY_ORG,
    });
    return thenNow(rows, (found) => sessionLookupOf(found[0], now, versionOrg));
  }

  listForUser(userId: string, now: number): Promise<SessionRecord[]> {
    return this.db
      .selectFrom('sessions')
      .select(RECORD_COLUMNS)
      .where('user_id', '=', userId)
      .where('expires_at', '>', now)
      .orderBy('created_at', 'desc')
      .execute()
      .then((rows) => rows.map(toRecord));
  }

  /**
   * Replace a session with a fresh token of the same kind and org. The old row is deleted with
   * RETURNING and the new one inserted in one transaction, so two refreshes of one token cannot
   * both succeed and the old token is dead on every process at once. Null when it was already gone.
   */
  async rotate(
    userId: string,
    sessionId: string,
    now: number,
    next: { ttlSeconds: (kind: SessionKind) => number; device: string | null; ip: string | null },
  ): Promise<{ token: string; session: SessionRecord } | null> {
    return this.db.transaction().execute(async (trx) => {
      const old = await trx
        .deleteFrom('sessions')
        .where('id', '=', sessionId)
        .where('user_id', '=', userId)
        .returning(['kind', 'active_org', 'authenticated_at'])
        .executeTakeFirst();
      if (!old) return null;
      const input: NewSession = {
        userId,
        kind: old.kind,
        activeOrg: old.active_org,
        ttlSeconds: next.ttlSeconds(old.kind),
        device: next.device,
        ip: next.ip,
        // A new token is not a new sign-in: re-authentication checks read this.
        authenticatedAt: old.authenticated_at == null ? null : Number(old.authenticated_at),
      };
      return this.create(now, input, trx);
    });
  }

  /**
   * One live session of a user with the time its holder signed in (null when unknown: a session
   * older than migration 0014); null when it is not theirs, gone or expired.
   */
  async findLive(
    userId: string,
    sessionId: string,
    now: number,
  ): Promise<(SessionRecord & { authenticatedAt: number | null }) | null> {
    const row = await this.db
      .selectFrom('sessions')
      .select([...RECORD_COLUMNS, 'authenticated_at'])
      .where('id', '=', sessionId)
      .where('user_id', '=', userId)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (!row) return null;
    const authenticatedAt = row.authenticated_at == null ? null : Number(row.authenticated_at);
    return { ...toRecord(row), authenticatedAt };
  }

  /** Revoke one session of a user; false when it is not theirs or already gone. */
  async revoke(userId: string, sessionId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('sessions')
      .where('id', '=', sessionId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Revoke every session of a user, optionally keeping one (password change keeps the caller's). */
  async revokeAll(userId: string, options: { except?: string } = {}, db: DB = this.db): Promise<number> {
    let query = db.deleteFrom('sessions').where('user_id', '=', userId);
    if (options.except) query = query.where('id', '!=', options.except);
    const result = await query.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Point one session at an org (null clears it); the caller has checked the membership. */
  /** On `db`, the transaction that checked the membership under the org's lock. */
  async setActiveOrg(sessionId: string, orgId: string | null, db: DB = this.db): Promise<void> {
    await db.updateTable('sessions').set({ active_org: orgId }).where('id', '=', sessionId).execute();
  }

  /**
   * Stop sessions pointing at an org the user left (or, without a user, an org that is gone), in
   * the caller's transaction so the membership and the sessions change together.
   */
  async clearActiveOrg(trx: DB, orgId: string, userId?: string): Promise<void> {
    let query = trx.updateTable('sessions').set({ active_org: null }).where('active_org', '=', orgId);
    if (userId !== undefined) query = query.where('user_id', '=', userId);
    await query.execute();
  }

  /** Record activity for sessions seen since the last flush (batched, off the request path). */
  async touch(sessionIds: readonly string[], now: number): Promise<void> {
    if (sessionIds.length === 0) return;
    await this.db
      .updateTable('sessions')
      .set({ last_seen_at: now })
      .where('id', 'in', [...sessionIds])
      .execute();
  }

  async sweepExpired(now: number): Promise<number> {
    const result = await this.db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
