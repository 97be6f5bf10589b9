import type { Random } from '../../crypto/random.js';
import { generatePrefixedToken, hashToken } from '../../crypto/tokens.js';
import type { DB } from '../../storage/database.js';
import type { OAuthCodesTable } from '../../storage/oauth-server-tables.js';
import type { Grant } from './grant.js';

/** RFC 6749 §4.1.2 recommends at most 10 minutes; a browser redirect and one POST need far less. */
export const CODE_TTL_MS = 60_000;

export interface IssuedCode extends Grant {
  redirectURI: string;
  codeChallenge: string;
  nonce: string | null;
  familyId: string;
}

export type CodeRedemption =
  | { kind: 'ok'; code: IssuedCode }
  /** Already exchanged once: the tokens of its family must go (RFC 6749 §4.1.2). */
  | { kind: 'replayed'; familyId: string }
  | { kind: 'invalid' };

function toIssued(row: OAuthCodesTable): IssuedCode {
  return {
    orgId: row.org_id,
    clientId: row.client_id,
    userId: row.user_id,
    consentId: row.consent_id,
    resource: row.resource,
    scope: row.scope,
    authTime: Number(row.auth_time),
    amr: JSON.parse(row.amr) as string[],
    redirectURI: row.redirect_uri,
    codeChallenge: row.code_challenge,
    nonce: row.nonce,
    familyId: row.family_id,
  };
}

/**
 * Forget the codes not yet exchanged of a consent or of a person, in the caller's transaction: a
 * code must not outlive the grant behind it (RFC 6749 §10.5, RFC 9700 §4.14), so whatever revokes
 * a consent or a person's refresh tokens discards them too. Exchanged codes stay, for replays.
 */
export async function discardOutstandingCodes(
  trx: DB,
  whose: { consentId: string } | { userId: string },
): Promise<number> {
  const result = await trx
    .deleteFrom('oauth_codes')
    .where('consumed_at', 'is', null)
    .$call((query) =>
      'consentId' in whose
        ? query.where('consent_id', '=', whose.consentId)
        : query.where('user_id', '=', whose.userId),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Authorisation codes: stored as SHA-256, 60 s, consumed by one conditional UPDATE. */
export class CodeStore {
  constructor(
    private readonly db: DB,
    private readonly random: Random,
  ) {}

  async issue(
    input: Grant & { redirectURI: string; codeChallenge: string; nonce: string | null },
    now: number,
  ): Promise<string> {
    const code = generatePrefixedToken(this.random, 'pyoc_', 32);
    // Codes are kept only while a replay of them means something; the table stays small, so the
    // sweep of the expired ones on each issue is cheap.
    await this.purgeExpired(now);
    await this.db
      .insertInto('oauth_codes')
      .values({
        code_hash: hashToken(code),
        org_id: input.orgId,
        client_id: input.clientId,
        user_id: input.userId,
        consent_id: input.consentId,
        redirect_uri: input.redirectURI,
        resource: input.resource,
        scope: input.scope,
        code_challenge: input.codeChallenge,
        nonce: input.nonce,
        auth_time: input.authTime,
        amr: JSON.stringify(input.amr),
        family_id: generatePrefixedToken(this.random, 'fam_', 16),
        created_at: now,
        expires_at: now + CODE_TTL_MS,
        consumed_at: null,
      })
      .execute();
    return code;
  }

  /**
   * Exchange a code once, for the org it was issued in. Exactly one concurrent caller wins the
   * conditional UPDATE; a code already exchanged answers `replayed` with the family to revoke.
   */
  async consume(orgId: string, code: string, now: number): Promise<CodeRedemption> {
    const hash = hashToken(code);
    const won = await this.db
      .updateTable('oauth_codes')
      .set({ consumed_at: now })
      .where('code_hash', '=', hash)
      .where('org_id', '=', orgId)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', now)
      .returningAll()
      .executeTakeFirst();
    if (won) return { kind: 'ok', code: toIssued(won) };
    const seen = await this.db
      .selectFrom('oauth_codes')
      .select(['family_id', 'consumed_at'])
      .where('code_hash', '=', hash)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    if (seen && seen.consumed_at !== null) return { kind: 'replayed', familyId: seen.family_id };
    return { kind: 'invalid' };
  }

  /** Forget codes expired for longer than `keepMs` (a replay that late is refused as unknown). */
  async purgeExpired(now: number, keepMs = 10 * 60_000): Promise<number> {
    const result = await this.db
      .deleteFrom('oauth_codes')
      .where('expires_at', '<', now - keepMs)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
