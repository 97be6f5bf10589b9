import { PylonError } from '@pylon/core';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { DB } from '../../storage/database.js';
import type { SessionKind } from '../../storage/schema.js';
import { mergeGuest } from './guest-merge.js';
import { type Identity, sessionTTLSeconds } from './identity.js';

/**
 * What a use case needs to know about the request that asked for it, read once at the edge
 * (route-helpers.ts `requestFacts`): use cases take this value, never the HTTP context, so they
 * run the same from a route, a page, or a test with no server.
 */
export interface RequestFacts {
  /** The client's address (X-Forwarded-For only from a trusted proxy), for audit and rate limits. */
  ip: string | null;
  /** Recorded as the new session's device. */
  userAgent: string | null;
  requestId: string;
  /** The guest the caller is signed in as, if any: signing in to an account merges it. */
  guestUserId: string | null;
  /**
   * The `pylon_trusted_device` cookie's token, if the browser has one: a sign-in to the account
   * that device was trusted for skips the TOTP challenge (any other account's is unaffected).
   */
  trustedDeviceToken?: string | null;
}

/**
 * How a sign-in ended: a session (the edge sets its cookie and answers with the token), or, for an
 * account with TOTP, a challenge that `POST /totp/challenge` finishes.
 */
export type SignInOutcome =
  | { kind: 'signed_in'; token: string; userId: string /** ms since the epoch */; expiresAt: number }
  | { kind: 'mfa_required'; mfaToken: string };

export interface SignInInput {
  method: string;
  kind?: SessionKind;
  /** Runs first in the sign-in's transaction (creating the user, consuming state); returns the user id. */
  prepare: (trx: DB, now: number) => Promise<string>;
  /**
   * Only where a second factor does not apply: the TOTP challenge itself (it was just checked)
   * and sessions the deployment admin mints (impersonation is the admin's decision).
   */
  skipSecondFactor?: boolean;
  /**
   * The org the sign-in was for (an org's SSO): the session starts with it active, so `/me` shows
   * the membership at once, and `auth.sign_in` lands in that org's audit instead of the deployment's.
   */
  org?: string;
}

/**
 * Every successful sign-in ends here: one transaction runs `prepare`, creates the session and
 * records `auth.sign_in` with its method, so nothing is half-done if any step fails.
 */
export async function signIn(
  identity: Identity,
  facts: RequestFacts,
  input: SignInInput,
): Promise<SignInOutcome> {
  const { services } = identity;
  const now = services.clock.now();
  const kind = input.kind ?? 'browser';
  const ttl = sessionTTLSeconds(services.config, kind);
  const outcome = await services.storage.db.transaction().execute(async (trx): Promise<SignInOutcome> => {
    const userId = await input.prepare(trx, now);
    // Only reachable with proof of the account (a code, a password): saying so is no oracle.
    const user = await identity.users.findById(userId, trx);
    if (user?.disabledAt != null) {
      throw new PylonError('FORBIDDEN', { message: 'This account is disabled' });
    }
    // With TOTP on, every first factor ends in a challenge, not a session, unless this browser
    // was trusted by this very account at an earlier challenge.
    let method = input.method;
    if (!input.skipSecondFactor && (await identity.mfa.isEnabled(userId, trx))) {
      const token = facts.trustedDeviceToken ?? null;
      if (token !== null && (await identity.trustedDevices.use(userId, token, now, trx))) {
        method = `${input.method}+trusted_device`;
      } else {
        const mfaToken = await identity.mfa.createChallenge(trx, { userId, method: input.method, kind, now });
        return { kind: 'mfa_required', mfaToken };
      }
    }
    const guest = facts.guestUserId;
    if (guest !== null && guest !== userId && kind !== 'guest') {
      await mergeGuest(identity, trx, { guestId: guest, userId, now, facts, method: input.method });
    }
    const { token, session } = await identity.sessions.create(
      now,
      { userId, kind, ttlSeconds: ttl, device: facts.userAgent, ip: facts.ip, activeOrg: input.org ?? null },
      trx,
    );
    await appendAudit(trx, now, {
      org: input.org ?? DEPLOYMENT_AUDIT,
      action: 'auth.sign_in',
      // The row read above names the actor: no second read of it for its email.
      actor: { type: 'user', id: userId, email: user?.email ?? null },
      target: userId,
      detail: { method, session_id: session.id },
      ip: facts.ip,
      requestId: facts.requestId,
    });
    return { kind: 'signed_in', token, userId: session.userId, expiresAt: session.expiresAt };
  });
  services.metrics.signIn(input.method, outcome.kind === 'signed_in' ? 'success' : 'mfa_required');
  return outcome;
}
