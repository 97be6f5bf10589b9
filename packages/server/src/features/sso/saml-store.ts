import type { Random } from '../../crypto/random.js';
import { hashToken } from '../../crypto/tokens.js';
import { createFlowBinding } from '../../http/flow-binding.js';
import type { DB } from '../../storage/database.js';
import { createRequestID } from './saml/authn-request.js';

export interface PendingSAMLRequest {
  /** Sent as RelayState: the hash of the binding the browser keeps (http/flow-binding.ts). */
  relayState: string;
  binding: string;
  /** The AuthnRequest's ID, which the response's InResponseTo must repeat. */
  requestID: string;
}

export interface ConsumedSAMLRequest {
  requestID: string;
  callback: string;
  errorCallback: string;
}

/**
 * SAML sign-ins in flight and assertions already used: the `saml_*` tables. Both single-use rules
 * are single statements (DELETE … RETURNING, INSERT … ON CONFLICT DO NOTHING … RETURNING), so they
 * hold across processes on SQLite and PostgreSQL alike.
 */
export class SAMLStore {
  constructor(
    private readonly db: DB,
    private readonly random: Random,
  ) {}

  async createRequest(input: {
    orgId: string;
    callback: string;
    errorCallback: string;
    now: number;
    ttlSeconds: number;
  }): Promise<PendingSAMLRequest> {
    const { state: relayState, binding } = createFlowBinding(this.random);
    const requestID = createRequestID(this.random);
    await this.db.deleteFrom('saml_requests').where('expires_at', '<=', input.now).execute();
    await this.db
      .insertInto('saml_requests')
      .values({
        relay_state_hash: hashToken(relayState),
        org_id: input.orgId,
        request_id: requestID,
        callback: input.callback,
        error_callback: input.errorCallback,
        created_at: input.now,
        expires_at: input.now + input.ttlSeconds * 1000,
      })
      .execute();
    return { relayState, binding, requestID };
  }

  /** The pending request for this RelayState at this org, consumed; null if unknown, used, expired or another org's. */
  async consumeRequest(orgId: string, relayState: string, now: number): Promise<ConsumedSAMLRequest | null> {
    const row = await this.db
      .deleteFrom('saml_requests')
      .where('relay_state_hash', '=', hashToken(relayState))
      .where('org_id', '=', orgId)
      .where('expires_at', '>', now)
      .returning(['request_id', 'callback', 'error_callback'])
      .executeTakeFirst();
    if (!row) return null;
    return { requestID: row.request_id, callback: row.callback, errorCallback: row.error_callback };
  }

  /**
   * Record the assertion as used until `expiresAt`; false when it was used already (a replay).
   * Expired records are dropped first: by then the assertion's own time window refuses it.
   */
  async consumeAssertion(
    orgId: string,
    assertionID: string,
    expiresAt: number,
    now: number,
  ): Promise<boolean> {
    await this.db.deleteFrom('saml_assertions').where('expires_at', '<=', now).execute();
    const inserted = await this.db
      .insertInto('saml_assertions')
      .values({ org_id: orgId, assertion_id: assertionID, expires_at: expiresAt })
      .onConflict((conflict) => conflict.columns(['org_id', 'assertion_id']).doNothing())
      .returning('assertion_id')
      .executeTakeFirst();
    return inserted !== undefined;
  }
}
