import { PylonError } from '@pylon/core';
import { ipBucket } from '../../rate-limit/ip-bucket.js';
import type { CountedAttempt } from '../../rate-limit/lockout.js';
import type { GuessLimits } from '../../rate-limit/rules.js';
import type { DB } from '../../storage/database.js';
import { type Identity, rateLimited } from './identity.js';

/**
 * Guessing a secret (a password, a second factor), wherever it is asked for: each guess is counted
 * as a failure before it is judged, against the account's hourly budget and the (IP, account)
 * lockout, so guesses racing each other are counted one by one and no more of them are judged than
 * the limits allow, however many arrive at once (a check made first and a failure counted after
 * the hash let every guess in flight through). Once locked, a right guess is refused like a wrong
 * one, or the lock would tell a guesser when they were right. A refused guess is not counted; a
 * right one gives its count back (`forgiveGuess`).
 */

/** A guess counted by `chargeGuess`, for `forgiveGuess` to give back. */
export interface ChargedGuess {
  pair: CountedAttempt;
}

/** Whose secret is guessed, from where: the lockout's subject and the budget's. */
export interface GuessSubject {
  pair: string;
  account: string;
}

/** The subject of a guess at `account` (an address, or an id) from `ip` (counted per /64 for IPv6). */
export function guessSubject(ip: string | null, account: string): GuessSubject {
  return { pair: `${ipBucket(ip)}|${account}`, account };
}

/**
 * Count one guess on `db` (a transaction of the caller's, so the count commits with what else it
 * counted), answering the refusal as a value so that the transaction can still commit, or else
 * the guess counted: the budget's row first, then the pair's (see `forgiveGuess` on why the order
 * is fixed).
 */
export async function chargeGuess(
  identity: Identity,
  limits: GuessLimits,
  subject: GuessSubject,
  now: number,
  db: DB,
): Promise<PylonError | ChargedGuess> {
  const decision = await identity.limiter.hit(limits.perAccount, subject.account, now, db);
  if (!decision.allowed) return rateLimited(decision.retryAfterSeconds, limits.hint);
  const pair = await identity.lockouts.count(limits.lockout, subject.pair, now, db);
  if (pair.counted === null) {
    await identity.limiter.refund(limits.perAccount, subject.account, now, db);
    return rateLimited(pair.lockedFor, limits.hint);
  }
  return { pair: pair.counted };
}

/** `chargeGuess` in a transaction of its own, throwing its refusal. */
export async function requireGuessAllowed(
  identity: Identity,
  limits: GuessLimits,
  subject: GuessSubject,
  now: number,
): Promise<ChargedGuess> {
  const charged = await identity.services.storage.db
    .transaction()
    .execute((trx) => chargeGuess(identity, limits, subject, now, trx));
  if (charged instanceof PylonError) throw charged;
  return charged;
}

/**
 * A right guess was no failure: the budget gives it back, and the pair's failures are forgotten
 * unless a guess racing this one was counted after it (`Lockouts.forgive`: forgetting those would
 * let the guesses in flight be judged past the lockout). On `db` (the success's own transaction
 * where it has one), in `chargeGuess`'s order: on PostgreSQL each statement locks its row until
 * the commit, and two transactions taking the same two rows in opposite orders can deadlock.
 */
export async function forgiveGuess(
  identity: Identity,
  limits: GuessLimits,
  subject: GuessSubject,
  charged: ChargedGuess,
  now: number,
  db: DB,
): Promise<void> {
  await identity.limiter.refund(limits.perAccount, subject.account, now, db);
  await identity.lockouts.forgive(limits.lockout, subject.pair, charged.pair, db);
}

/** Seconds the pair stays locked (0: it may guess), without counting anything. */
export function guessLockedFor(
  identity: Identity,
  limits: GuessLimits,
  subject: GuessSubject,
  now: number,
): Promise<number> {
  return identity.lockouts.lockedFor(limits.lockout, subject.pair, now);
}
