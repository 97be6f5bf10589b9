import { PylonError } from '@pylon/core';
import {
  PasswordChangeRequest,
  PasswordChangeResponse,
  PasswordLoginRequest,
  PasswordRegisterRequest,
  SignInResponse,
} from '@pylon/core/wire';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import { checkPasswordPolicy } from '../../platform/password.js';
import { ipBucket } from '../../rate-limit/ip-bucket.js';
import {
  auditUserCreated,
  clientIP,
  type Identity,
  limitSignInsByIP,
  rateLimited,
  requireEmail,
  requireSession,
  type SignInOutcome,
  signIn,
} from './identity.js';
import { replacePassword, requireStrongPassword } from './password-policy.js';
import { EmailTakenError } from './user-store.js';

const lockedOut = (retryAfterSeconds: number) =>
  rateLimited(retryAfterSeconds, 'Too many failed attempts: wait, or sign in with an emailed code');

/**
 * Checked before the password is: once locked, a correct guess is refused like a wrong one, or
 * the lock would tell an attacker when they guessed right.
 */
async function refuseIfLocked(identity: Identity, pair: string, account: string, now: number): Promise<void> {
  const pairLock = await identity.lockouts.lockedFor(identity.limits.passwordLockout, pair, now);
  if (pairLock > 0) throw lockedOut(pairLock);
  const decision = await identity.limiter.check(identity.limits.passwordFailuresPerAccount, account, now);
  if (!decision.allowed) throw lockedOut(decision.retryAfterSeconds);
}

/**
 * Count a failed password against the (IP, account) lockout and the account's hourly budget. The
 * failing attempt itself still answers INVALID_CREDENTIALS; the lock refuses the next one.
 */
async function recordFailure(identity: Identity, pair: string, account: string, now: number): Promise<void> {
  await identity.lockouts.fail(identity.limits.passwordLockout, pair, now);
  await identity.limiter.hit(identity.limits.passwordFailuresPerAccount, account, now);
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

export function passwordRoutes(identity: Identity) {
  const { services } = identity;
  return [
    defineRoute({
      method: 'post',
      path: '/password/register',
      summary: 'Create an account with a password and sign in',
      tags: ['identity'],
      body: handChecked(PasswordRegisterRequest, ['email', 'password']),
      responses: {
        200: { description: 'Registered and signed in', schema: SignInResponse },
        400: { description: 'MISSING_EMAIL, INVALID_EMAIL or WEAK_PASSWORD (10–256 characters)' },
        409: { description: 'EMAIL_TAKEN' },
        429: {
          description: 'RATE_LIMITED: registrations per IP (PYLON_RATE_LIMIT_REGISTRATIONS_PER_IP_HOUR)',
        },
      },
      handler: async (c, { body }) => {
        const email = requireEmail(body.email);
        const password = requireStrongPassword(body.password);
        await limitRegistrations(identity, clientIP(c, services), services.clock.now());
        if (await identity.users.findByEmail(email)) throw new PylonError('EMAIL_TAKEN');
        const passwordHash = await identity.hasher.hash(password);
        try {
          const result = await signIn(c, identity, {
            method: 'password',
            prepare: async (trx, now) => {
              const user = await identity.users.create(trx, now, {
                email,
                passwordHash,
                displayName: body.displayName ?? null,
              });
              await auditUserCreated(identity, trx, now, user.id, 'password', c.get('requestId'));
              return user.id;
            },
          });
          return c.json(result);
        } catch (error) {
          if (error instanceof EmailTakenError) throw new PylonError('EMAIL_TAKEN');
          throw error;
        }
      },
    }),
    defineRoute({
      method: 'post',
      path: '/password/login',
      summary: 'Sign in with email and password',
      tags: ['identity'],
      body: handChecked(PasswordLoginRequest, ['email', 'password']),
      responses: {
        200: { description: 'Signed in', schema: SignInResponse },
        400: {
          description: 'MISSING_EMAIL, INVALID_EMAIL, or WEAK_PASSWORD for a password over 256 characters',
        },
        401: { description: 'INVALID_CREDENTIALS, for an unknown email and a wrong password alike' },
        429: {
          description:
            'RATE_LIMITED after 5 failures per (IP, account) in 15 minutes or 30 an hour per account',
        },
      },
      handler: async (c, { body }) => c.json(await passwordSignIn(c, identity, body)),
    }),
    defineRoute({
      method: 'post',
      path: '/password/change',
      summary: "Change the caller's password; signs out their other sessions",
      tags: ['identity'],
      security: ['session'],
      body: handChecked(PasswordChangeRequest, ['newPassword']),
      responses: {
        200: {
          description: 'Changed',
          schema: PasswordChangeResponse,
        },
        400: { description: 'WEAK_PASSWORD' },
        401: { description: 'UNAUTHORIZED or WRONG_PASSWORD' },
      },
      handler: async (c, { body }) => {
        const auth = await requireSession(c, services);
        const newPassword = requireStrongPassword(body.newPassword, 'newPassword');
        const user = await identity.users.findById(auth.userId);
        const ok =
          user?.passwordHash && checkPasswordPolicy(body.currentPassword) !== 'too_long'
            ? await identity.hasher.verify(user.passwordHash, body.currentPassword)
            : false;
        if (!ok || !user) throw new PylonError('WRONG_PASSWORD');
        const hash = await identity.hasher.hash(newPassword);
        const revoked = await replacePassword(c, identity, {
          userId: user.id,
          hash,
          action: 'password.changed',
          keepSession: auth.sessionId,
        });
        return c.json({ changed: true as const, revoked_count: revoked });
      },
    }),
  ];
}

/**
 * Email and password → a sign-in (or a TOTP challenge). Shared by the JSON route and the hosted
 * login page: parse → rate limits → lockout → verify (a dummy hash for unknown emails) → sign in.
 */
export async function passwordSignIn(
  c: AppContext,
  identity: Identity,
  body: { email?: unknown; password?: unknown },
): Promise<SignInOutcome> {
  const { services } = identity;
  const email = requireEmail(body.email);
  const password = typeof body.password === 'string' ? body.password : '';
  // Oversized input is a malformed request, told apart from a wrong password before any account
  // is looked at: the answer is the same for every address, so it reveals nothing.
  if (checkPasswordPolicy(password) === 'too_long')
    throw new PylonError('WEAK_PASSWORD', { message: 'password must be at most 256 characters' });
  const ip = clientIP(c, services);
  const now = services.clock.now();
  await limitSignInsByIP(identity, ip, now);
  const pairKey = `${ipBucket(ip)}|${email}`;
  await refuseIfLocked(identity, pairKey, email, now);
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
      requestId: c.get('requestId'),
    });
    await recordFailure(identity, pairKey, email, now);
    throw INVALID_CREDENTIALS();
  }
  await identity.lockouts.clear(identity.limits.passwordLockout, pairKey);
  return signIn(c, identity, {
    method: 'password',
    prepare: async (trx) => {
      if (identity.hasher.needsRehash(user.passwordHash!)) {
        await identity.users.setPasswordHash(trx, user.id, await identity.hasher.hash(password));
      }
      return user.id;
    },
  });
}
