import { type Random, toBase64URL } from '../../crypto/random.js';
import type { Sealer } from '../../crypto/seal.js';
import { hashToken } from '../../crypto/tokens.js';
import { createFlowBinding } from '../../http/flow-binding.js';
import type { DB } from '../../storage/database.js';
import { createPKCE } from './protocol.js';

export interface PendingSignIn {
  state: string;
  /** For the browser's flow cookie: the state is its hash (http/flow-binding.ts). */
  binding: string;
  nonce: string;
  codeChallenge: string;
}

export interface ConsumedState {
  codeVerifier: string;
  nonce: string;
  callback: string | null;
  /** The signed-in account linking this provider to itself; null for a sign-in. */
  linkUserId: string | null;
}

const location = (stateHash: string) => ({
  table: 'oauth_states',
  column: 'code_verifier_sealed',
  row: stateHash,
});

/**
 * Pending social sign-ins. The state is the hash of 256 random bits the starting browser keeps in
 * a cookie (http/flow-binding.ts) and is stored only as its own hash; it is bound to one provider, lives 10 minutes and is consumed by a single DELETE … RETURNING, so it works
 * exactly once on every process. The PKCE verifier is sealed at rest.
 */
export class OAuthStateStore {
  constructor(
    private readonly db: DB,
    private readonly random: Random,
    private readonly sealer: Sealer,
  ) {}

  async create(input: {
    provider: string;
    callback: string | null;
    now: number;
    ttlSeconds: number;
    linkUserId?: string | null;
  }): Promise<PendingSignIn> {
    const { state, binding } = createFlowBinding(this.random);
    const nonce = toBase64URL(this.random.bytes(16));
    const pkce = createPKCE(this.random);
    const stateHash = hashToken(state);
    await this.db.deleteFrom('oauth_states').where('expires_at', '<=', input.now).execute();
    await this.db
      .insertInto('oauth_states')
      .values({
        state_hash: stateHash,
        provider: input.provider,
        code_verifier_sealed: this.sealer.seal(pkce.verifier, location(stateHash)),
        nonce,
        callback: input.callback,
        link_user_id: input.linkUserId ?? null,
        created_at: input.now,
        expires_at: input.now + input.ttlSeconds * 1000,
      })
      .execute();
    return { state, binding, nonce, codeChallenge: pkce.challenge };
  }

  /** The pending sign-in for this state at this provider, consumed; null if unknown, used, expired or another provider's. */
  async consume(provider: string, state: string, now: number): Promise<ConsumedState | null> {
    const stateHash = hashToken(state);
    const row = await this.db
      .deleteFrom('oauth_states')
      .where('state_hash', '=', stateHash)
      .where('provider', '=', provider)
      .where('expires_at', '>', now)
      .returning(['code_verifier_sealed', 'nonce', 'callback', 'link_user_id'])
      .executeTakeFirst();
    if (!row) return null;
    return {
      codeVerifier: this.sealer.open(row.code_verifier_sealed, location(stateHash)),
      nonce: row.nonce,
      callback: row.callback,
      linkUserId: row.link_user_id,
    };
  }
}
