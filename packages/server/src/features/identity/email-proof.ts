import { appendAudit } from '../../audit/audit-log.js';
import type { DB } from '../../storage/database.js';
import type { UserStore } from './user-store.js';

/**
 * A way into an account that can be set up before its address is proven: a password, a TOTP
 * factor, linked outside identities, API keys, passkeys. Each feature that owns one registers a dropper with the identity
 * feature, so the first proof of an address can clear every one of them in one transaction.
 */
export interface CredentialDropper {
  /** Named in the audit entry (`password`, `totp`, `api_keys`, …). */
  readonly name: string;
  /** Remove every credential of this kind the user holds; the count removed. */
  drop(trx: DB, userId: string): Promise<number>;
}

/** How an address was proven, and what the prover already holds that is theirs to keep. */
export interface EmailProofInput {
  userId: string;
  now: number;
  /** `magic_code`, `password_reset`, `oauth_github`, `org_sso`, `invite`, `email_verification`. */
  method: string;
  /**
   * The prover redeemed the code from a session of this account (`POST /email/verify`): that
   * session holds the account's credentials, so it and they are the prover's own and stay.
   */
  proverSessionId?: string;
  ip?: string | null;
  requestId?: string | null;
  org: string;
}

export interface EmailProof {
  /** False when the address was already verified: nothing was revoked or dropped. */
  firstProof: boolean;
  revokedSessions: number;
  droppedCredentials: string[];
}

/**
 * The first proof of an address ends account pre-hijacking (an attacker who registered the
 * address before its owner keeps nothing): every session created before the proof is revoked and
 * every credential set while the address was unverified is dropped, in the caller's transaction,
 * audited as `user.email_verified`. Later proofs change nothing. The one exception is a proof
 * redeemed from the account's own session, whose holder demonstrably set those credentials.
 */
export async function recordEmailProof(
  trx: DB,
  deps: {
    users: UserStore;
    revokeSessions: (trx: DB, userId: string, except?: string) => Promise<number>;
    droppers: readonly CredentialDropper[];
  },
  input: EmailProofInput,
): Promise<EmailProof> {
  const firstProof = await deps.users.markEmailVerified(trx, input.userId, input.now);
  if (!firstProof) return { firstProof: false, revokedSessions: 0, droppedCredentials: [] };
  let revokedSessions = 0;
  const droppedCredentials: string[] = [];
  if (input.proverSessionId === undefined) {
    revokedSessions = await deps.revokeSessions(trx, input.userId);
    for (const dropper of deps.droppers) {
      if ((await dropper.drop(trx, input.userId)) > 0) droppedCredentials.push(dropper.name);
    }
  } else {
    revokedSessions = await deps.revokeSessions(trx, input.userId, input.proverSessionId);
  }
  await appendAudit(trx, input.now, {
    org: input.org,
    action: 'user.email_verified',
    actor: input.userId,
    target: input.userId,
    detail: {
      method: input.method,
      revoked_sessions: revokedSessions,
      dropped_credentials: droppedCredentials,
    },
    ip: input.ip ?? null,
    requestId: input.requestId ?? null,
  });
  return { firstProof: true, revokedSessions, droppedCredentials };
}
