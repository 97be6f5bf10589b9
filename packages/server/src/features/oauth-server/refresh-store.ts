import type { Random } from '../../crypto/random.js';
import { generatePrefixedToken, hashToken } from '../../crypto/tokens.js';
import type { DB } from '../../storage/database.js';
import type { Dialect } from '../../storage/migrations/index.js';
import type { OAuthRefreshTokensTable } from '../../storage/oauth-server-tables.js';
import { discardOutstandingCodes } from './code-store.js';
import type { Grant } from './grant.js';

/** How long an expired refresh token is kept, so that reusing it still revokes its family. */
export const PURGE_AFTER_MS = 24 * 60 * 60_000;

export type Rotation =
  | { kind: 'ok'; grant: Grant; familyId: string; token: string }
  /** A token already rotated away was presented again: its whole family is now revoked. */
  | { kind: 'reused' }
  /** A token of a family already revoked (its consent, a reset, its resource gone, a reuse). */
  | { kind: 'revoked' }
  | { kind: 'invalid' };

/** Why `rotate`'s check refused the request: the token was left unused. */
class RotationRefused<R> extends Error {
  constructor(readonly reason: R) {
    super('refresh request refused');
  }
}

function toGrant(row: OAuthRefreshTokensTable): Grant {
  return {
    orgId: row.org_id,
    clientId: row.client_id,
    userId: row.user_id,
    consentId: row.consent_id,
    resource: row.resource,
    scope: row.scope,
    authTime: Number(row.auth_time),
    amr: JSON.parse(row.amr) as string[],
  };
}

/**
 * Refresh tokens (RFC 6749 §6), stored as SHA-256. Each use rotates the token (RFC 9700 §4.14.2):
 * the presented one is marked and a successor issued in the same transaction; presenting a marked
 * token again means two parties hold the family, so the whole family is revoked.
 */
export class RefreshStore {
  constructor(
    private readonly db: DB,
    private readonly dialect: Dialect,
    private readonly random: Random,
    private readonly ttlMs: number,
  ) {}

  /**
   * The first token of a new family (an authorisation code exchanged), or null when the consent the
   * code was issued under is gone: a code does not outlive its grant (RFC 6749 §10.5). The consent
   * row is held (PostgreSQL `FOR SHARE`; SQLite has a single writer anyway) while the token is
   * written, so a revocation at the same moment either deletes the consent first — and no token is
   * written — or waits, and then revokes this token with the others. Tokens expired for longer
   * than `PURGE_AFTER_MS` are deleted first, so the table holds live families only; an expired
   * token is refused either way, and within that margin a reused one still revokes its family.
   */
  async startFamily(grant: Grant, familyId: string, now: number): Promise<string | null> {
    await this.purgeExpired(now);
    return this.db.transaction().execute(async (trx) => {
      if (grant.consentId !== null) {
        let held = trx.selectFrom('oauth_consents').select('id').where('id', '=', grant.consentId);
        if (this.dialect === 'postgres') held = held.forShare();
        if (!(await held.executeTakeFirst())) return null;
      }
      return this.issue(grant, familyId, now, trx);
    });
  }

  /** Delete tokens expired for longer than `keepMs`; returns how many went. */
  async purgeExpired(now: number, keepMs = PURGE_AFTER_MS): Promise<number> {
    const result = await this.db
      .deleteFrom('oauth_refresh_tokens')
      .where('expires_at', '<', now - keepMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async issue(grant: Grant, familyId: string, now: number, db: DB = this.db): Promise<string> {
    const token = generatePrefixedToken(this.random, 'pyrt_', 32);
    await db
      .insertInto('oauth_refresh_tokens')
      .values({
        token_hash: hashToken(token),
        family_id: familyId,
        org_id: grant.orgId,
        client_id: grant.clientId,
        user_id: grant.userId,
        consent_id: grant.consentId,
        resource: grant.resource,
        scope: grant.scope,
        auth_time: grant.authTime,
        amr: JSON.stringify(grant.amr),
        created_at: now,
        expires_at: now + this.ttlMs,
        rotated_at: null,
        revoked_at: null,
      })
      .execute();
    return token;
  }

  /**
   * Use a refresh token of this client in this org once, handing back its successor. `refuse`
   * looks at the token's grant first: a reason it gives (a scope or resource the grant does not
   * hold) rolls the rotation back, so a refused request leaves the token as usable as it was.
   */
  async rotate<R = never>(
    orgId: string,
    clientId: string,
    token: string,
    now: number,
    refuse: (grant: Grant) => R | null = () => null,
  ): Promise<Rotation | { kind: 'refused'; reason: R }> {
    const hash = hashToken(token);
    let rotated: { grant: Grant; familyId: string; token: string } | null;
    try {
      rotated = await this.rotateOnce(hash, orgId, clientId, now, refuse);
    } catch (error) {
      if (error instanceof RotationRefused) return { kind: 'refused', reason: error.reason as R };
      throw error;
    }
    if (rotated) return { kind: 'ok', ...rotated };
    const seen = await this.db
      .selectFrom('oauth_refresh_tokens')
      .select(['family_id', 'rotated_at', 'revoked_at'])
      .where('token_hash', '=', hash)
      .where('org_id', '=', orgId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    if (seen && seen.revoked_at !== null) return { kind: 'revoked' };
    if (seen && seen.rotated_at !== null) {
      await this.revokeFamily(seen.family_id, now);
      return { kind: 'reused' };
    }
    return { kind: 'invalid' };
  }

  /** The rotation's transaction: mark the live token, check its grant, issue the successor. */
  private rotateOnce<R>(
    hash: string,
    orgId: string,
    clientId: string,
    now: number,
    refuse: (grant: Grant) => R | null,
  ) {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('oauth_refresh_tokens')
        .set({ rotated_at: now })
        .where('token_hash', '=', hash)
        .where('org_id', '=', orgId)
        .where('client_id', '=', clientId)
        .where('rotated_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      if (!row) return null;
      const grant = toGrant(row);
      const reason = refuse(grant);
      // Thrown to roll the marking back (the transaction's one way out without committing).
      if (reason !== null) throw new RotationRefused(reason);
      return { grant, familyId: row.family_id, token: await this.issue(grant, row.family_id, now, trx) };
    });
  }

  async revokeFamily(familyId: string, now: number): Promise<number> {
    const result = await this.db
      .updateTable('oauth_refresh_tokens')
      .set({ revoked_at: now })
      .where('family_id', '=', familyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /**
   * Revoke every live refresh token of a person (rotated-away and expired ones are already spent), in the
   * caller's transaction; the count revoked. The person's codes not yet exchanged are discarded
   * with them, or one issued a moment before would start a fresh family afterwards (RFC 6749 §10.5).
   */
  async revokeForUser(trx: DB, userId: string, now: number): Promise<number> {
    await discardOutstandingCodes(trx, { userId });
    const result = await trx
      .updateTable('oauth_refresh_tokens')
      .set({ revoked_at: now })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('rotated_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** RFC 7009: revoke the family of a token this client holds; unknown tokens are no error. */
  async revoke(orgId: string, clientId: string, token: string, now: number): Promise<boolean> {
    const row = await this.db
      .selectFrom('oauth_refresh_tokens')
      .select('family_id')
      .where('token_hash', '=', hashToken(token))
      .where('org_id', '=', orgId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    if (!row) return false;
    await this.revokeFamily(row.family_id, now);
    return true;
  }
}
