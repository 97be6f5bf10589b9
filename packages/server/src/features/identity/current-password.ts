import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import { checkPasswordPolicy } from '../../platform/password.js';
import { forgiveGuess, guessSubject, requireGuessAllowed } from './guesses.js';
import type { Identity } from './identity.js';
import type { RequestFacts } from './sign-in.js';

/** The step that asked for the current password again, named in a failure's audit entry. */
export type PasswordRecheck = 'password_change' | 'account_deletion';

/**
 * The signed-in person's current password, asked for again before a step that needs it. Each ask
 * is a guess under password sign-in's own limits (guesses.ts), keyed as sign-in keys them (the
 * account's address), so the two share one count and a session gives no more guesses than the
 * sign-in form: locked, it throws RATE_LIMITED, the right password included. A wrong password is
 * audited as `auth.sign_in_failed` with the account as target, so its owner sees it among their
 * own events. An account without a password checks a dummy hash, which nothing matches.
 */
export async function verifyCurrentPassword(
  identity: Identity,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  input: { userId: string; password: unknown; during: PasswordRecheck },
): Promise<boolean> {
  const { services } = identity;
  const limits = identity.limits.passwordGuesses;
  const user = await identity.users.findById(input.userId);
  const now = services.clock.now();
  const subject = guessSubject(facts.ip, user?.email ?? input.userId);
  const charged = await requireGuessAllowed(identity, limits, subject, now);
  const password = typeof input.password === 'string' ? input.password : '';
  const ok =
    checkPasswordPolicy(password) === 'too_long'
      ? false
      : user?.passwordHash
        ? await identity.hasher.verify(user.passwordHash, password)
        : await identity.hasher.verifyDummy(password);
  if (ok) {
    await forgiveGuess(identity, limits, subject, charged, now, services.storage.db);
    return true;
  }
  await appendAudit(services.storage.db, now, {
    org: DEPLOYMENT_AUDIT,
    action: 'auth.sign_in_failed',
    actor: { type: 'user', id: input.userId },
    target: { id: input.userId },
    detail: { method: 'password', during: input.during },
    ip: facts.ip,
    requestId: facts.requestId,
  });
  return false;
}
