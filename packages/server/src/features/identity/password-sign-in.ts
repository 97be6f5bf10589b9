import { PylonError } from '@pylon/core';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import { checkPasswordPolicy } from '../../platform/password.js';
import { ipBucket } from '../../rate-limit/ip-bucket.js';
import { requireCaptcha } from '../captcha/captcha.js';
import { refuseBreachedPassword } from './breached-passwords.js';
import { type ChargedGuess, chargeGuess, forgiveGuess, type GuessSubject, guessSubject } from './guesses.js';
import {
  auditUserCreated,
  chargeSignInByIP,
  type Identity,
  limitSignInsByIP,
  rateLimited,
  requireEmail,
} from './identity.js';
import { requireStrongPassword } from './password-policy.js';
import { type RequestFacts, type SignInOutcome, signIn } from './sign-in.js';
import { EmailTakenError } from './user-store.js';

/**
 * The address's sign-in limit, then the attempt counted as a guess at the account's password
 * (guesses.ts), in one transaction, so one durable commit, and a refusal commits what was counted
 * before it.
 */
async function chargeAttempt(
  identity: Identity,
  ip: string | null,
  subject: GuessSubject,
  now: number,
): Promise<ChargedGuess> {
  const charged = await identity.services.storage.db.transaction().execute(async (trx) => {
    const byIP = await chargeSignInByIP(identity, ip, now, trx);
    if (byIP) return byIP;
    return chargeGuess(identity, identity.limits.passwordGuesses, subject, now, trx);
  });
  if (charged instanceof PylonError) throw charged;
  return charged;
}

/**
 * Registration answers EMAIL_TAKEN for an address with an account, as the pylonsync contract's
 * clients expect, so each attempt is an account probe: they are budgeted per IP on top of the
 * sign-in limit. (Magic codes and password resets answer the same for every address.)
 */
async function limitRegistrations(identity: Identity, ip: string | null, now: number): Promise<void> {
  await limitSignInsByIP(identity, ip, now);
  const decision = await identity.limiter.hit(identity.limits.registrationsPerIP, ipBucket(ip), now);
  if (!decision.allowed) {
    throw rateLimited(decision.retryAfterSeconds, 'Too many registrations from this address: wait an hour');
  }
}

const INVALID_CREDENTIALS = () => new PylonError('INVALID_CREDENTIALS');

/**
 * A new account with a password, signed in at once: parse → registration limits → captcha →
 * breached-password check → EMAIL_TAKEN → hash → create the user and the session in one
 * transaction (a racing registration of the same address still answers EMAIL_TAKEN). The limits
 * come first so that refused callers cannot make us call the captcha or Pwned Passwords services.
 */
export async function passwordRegister(
  identity: Identity,
  facts: RequestFacts,
  body: { email?: unknown; password?: unknown; displayName?: string; captchaToken?: unknown },
): Promise<SignInOutcome> {
  const email = requireEmail(body.email);
  const password = requireStrongPassword(body.password);
  await limitRegistrations(identity, facts.ip, identity.services.clock.now());
  await requireCaptcha(identity.services, body.captchaToken, facts);
  await refuseBreachedPassword(identity.services, password, facts.requestId);
  if (await identity.users.findByEmail(email)) throw new PylonError('EMAIL_TAKEN');
  const passwordHash = await identity.hasher.hash(password);
  try {
    return await signIn(identity, facts, {
      method: 'password',
      prepare: async (trx, now) => {
        const user = await identity.users.create(trx, now, {
          email,
          passwordHash,
          displayName: body.displayName ?? null,
        });
        await auditUserCreated(trx, now, user.id, 'password', facts.requestId);
        return user.id;
      },
    });
  } catch (error) {
    if (error instanceof EmailTakenError) throw new PylonError('EMAIL_TAKEN');
    throw error;
  }
}

/**
 * Email and password → a sign-in (or a TOTP challenge). Shared by the JSON route and the hosted
 * login page: parse → rate limits → lockout → verify (a dummy hash for unknown emails) → sign in.
 */
export async function passwordSignIn(
  identity: Identity,
  facts: RequestFacts,
  body: { email?: unknown; password?: unknown },
): Promise<SignInOutcome> {
  const { services } = identity;
  const email = requireEmail(body.email);
  const password = typeof body.password === 'string' ? body.password : '';
  // Oversized input is a malformed request, told apart from a wrong password before any account
  // is looked at: the answer is the same for every address, so it reveals nothing.
  if (checkPasswordPolicy(password) === 'too_long')
    throw new PylonError('WEAK_PASSWORD', { message: 'password must be at most 256 characters' });
  const { ip } = facts;
  const now = services.clock.now();
  const subject = guessSubject(ip, email);
  const charged = await chargeAttempt(identity, ip, subject, now);
  const user = await identity.users.findByEmail(email);
  // Same work for every outcome: an unknown email verifies against a dummy hash.
  const verified =
    user?.passwordHash && user.disabledAt === null
      ? await identity.hasher.verify(user.passwordHash, password)
      : await identity.hasher.verifyDummy(password);
  if (!verified || !user) {
    await appendAudit(services.storage.db, now, {
      org: DEPLOYMENT_AUDIT,
      action: 'auth.sign_in_failed',
      actor: 'anonymous',
      detail: { method: 'password' },
      ip,
      requestId: facts.requestId,
    });
    services.metrics.signIn('password', 'failed');
    throw INVALID_CREDENTIALS();
  }
  return signIn(identity, facts, {
    method: 'password',
    prepare: async (trx) => {
      // A right password was no failure: forgotten in the sign-in's own transaction.
      await forgiveGuess(identity, identity.limits.passwordGuesses, subject, charged, now, trx);
      if (identity.hasher.needsRehash(user.passwordHash!)) {
        await identity.users.setPasswordHash(trx, user.id, await identity.hasher.hash(password));
      }
      return user.id;
    },
  });
}
