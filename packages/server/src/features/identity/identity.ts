import { isValidEmail, normalizeEmail, PylonError } from '@pylon/core';
import { ActivityRecorder } from '../../activity/activity-recorder.js';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { Config } from '../../config/config.js';
import type { AuthContext } from '../../http/auth-context.js';
import type { AppContext, Services } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { hkdfSha256 } from '../../platform/node-crypto.js';
import { createPasswordHasher, type PasswordHasher } from '../../platform/password.js';
import { ipBucket } from '../../rate-limit/ip-bucket.js';
import { Lockouts } from '../../rate-limit/lockout.js';
import { RateLimiter } from '../../rate-limit/rate-limiter.js';
import { type IdentityLimits, identityLimits } from '../../rate-limit/rules.js';
import type { DB } from '../../storage/database.js';
import type { SessionKind } from '../../storage/schema.js';
import { MFAStore } from '../mfa/mfa-store.js';
import { CodeStore } from './code-store.js';
import {
  type CredentialDropper,
  type EmailProof,
  type EmailProofInput,
  recordEmailProof,
} from './email-proof.js';
import { setSessionCookie } from './session-cookie.js';
import { SessionStore } from './session-store.js';
import { UserStore } from './user-store.js';

/** The identity feature's stores and helpers, built once per server from its services. */
export interface Identity {
  services: Services;
  users: UserStore;
  sessions: SessionStore;
  codes: CodeStore;
  limiter: RateLimiter;
  mfa: MFAStore;
  lockouts: Lockouts;
  limits: IdentityLimits;
  hasher: PasswordHasher;
  activity: ActivityRecorder;
  /**
   * Credentials that the first proof of an address drops. Identity registers the password and
   * TOTP; features with credentials of their own (API keys, passkeys) add theirs when built.
   */
  credentialDroppers: CredentialDropper[];
}

export function createIdentity(
  services: Services,
  hasher: PasswordHasher = createPasswordHasher(),
): Identity {
  const { db } = services.storage;
  const sessions = new SessionStore(db, services.random);
  const secret = Buffer.from(services.config.secret!, 'hex');
  const users = new UserStore(db, services.random);
  const mfa = new MFAStore(db, services.random, services.sealer, hkdfSha256(secret, 'pylon/mfa/v1'));
  return {
    services,
    users,
    sessions,
    codes: new CodeStore(db, services.random, hkdfSha256(secret, 'pylon/codes/v1')),
    limiter: new RateLimiter(db),
    mfa,
    credentialDroppers: [
      { name: 'password', drop: (trx, userId) => users.clearPassword(trx, userId) },
      { name: 'totp', drop: (trx, userId) => mfa.disable(trx, userId) },
    ],
    lockouts: new Lockouts(db),
    limits: identityLimits(services.config.rateLimits),
    hasher,
    activity: new ActivityRecorder(
      {
        name: 'sessions',
        touch: (ids, now) => sessions.touch(ids, now),
        sweep: (now) => sessions.sweepExpired(now),
      },
      services.clock,
      services.logger,
    ),
  };
}

/**
 * Record that the account's address was proven (see email-proof.ts): on the first proof, revoke
 * the sessions and drop the credentials an earlier, unproven holder of the address could have set.
 */
export function proveEmail(
  trx: DB,
  identity: Identity,
  input: Omit<EmailProofInput, 'org'>,
): Promise<EmailProof> {
  return recordEmailProof(
    trx,
    {
      users: identity.users,
      revokeSessions: (db, userId, except) =>
        identity.sessions.revokeAll(userId, except === undefined ? {} : { except }, db),
      droppers: identity.credentialDroppers,
    },
    { ...input, org: DEPLOYMENT_AUDIT },
  );
}

/** The client's address: the socket's, or X-Forwarded-For's first hop only from a trusted proxy. */
export function clientIP(c: AppContext, services: Services): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  const socket = env?.incoming?.socket?.remoteAddress ?? null;
  const forwarded = c.req.header('x-forwarded-for');
  if (forwarded && socket && services.config.trustedProxies.includes(socket)) {
    return forwarded.split(',')[0]!.trim() || socket;
  }
  return socket;
}

/** Device-login sessions live 24 h (PYLON_CLI_SESSION_TTL), every other kind PYLON_SESSION_TTL. */
export function sessionTTLSeconds(config: Config, kind: SessionKind): number {
  return kind === 'cli' ? config.cliSessionTTLSeconds : config.sessionTTLSeconds;
}

/** A first factor passed for an account with TOTP: `POST /totp/challenge` finishes the sign-in. */
export interface MFARequired {
  mfa_required: true;
  mfa_token: string;
}

export type SignInOutcome = SignInResult | MFARequired;

export interface SignInResult {
  token: string;
  user_id: string;
  expires_at: number;
}

/**
 * Every successful sign-in ends here: one transaction creates the session and records
 * `auth.sign_in` with its method; then the cookie is set. `prepare` runs in the same transaction
 * first (creating the user, consuming state), so nothing is half-done if any step fails.
 */
export async function signIn(
  c: AppContext,
  identity: Identity,
  input: {
    method: string;
    kind?: SessionKind;
    prepare: (trx: DB, now: number) => Promise<string>;
    /**
     * Only where a second factor does not apply: the TOTP challenge itself (it was just checked)
     * and sessions the deployment admin mints (impersonation is the admin's decision).
     */
    skipSecondFactor?: boolean;
  },
): Promise<SignInOutcome> {
  const { services } = identity;
  const now = services.clock.now();
  const ip = clientIP(c, services);
  const ttl = sessionTTLSeconds(services.config, input.kind ?? 'browser');
  const guest = await guestCaller(c, services);
  const outcome = await services.storage.db.transaction().execute(async (trx) => {
    const userId = await input.prepare(trx, now);
    // Only reachable with proof of the account (a code, a password): saying so is no oracle.
    if ((await identity.users.findById(userId, trx))?.disabledAt != null) {
      throw new PylonError('FORBIDDEN', { message: 'This account is disabled' });
    }
    // With TOTP on, every first factor ends in a challenge, not a session.
    if (!input.skipSecondFactor && (await identity.mfa.isEnabled(userId, trx))) {
      const kind = input.kind ?? 'browser';
      const mfaToken = await identity.mfa.createChallenge(trx, { userId, method: input.method, kind, now });
      return { mfa_required: true as const, mfa_token: mfaToken };
    }
    if (guest !== null && guest !== userId && input.kind !== 'guest') {
      await identity.users.mergeGuest(trx, guest);
      await appendAudit(trx, now, {
        org: DEPLOYMENT_AUDIT,
        action: 'guest.merged',
        actor: userId,
        target: guest,
        detail: { guest_id: guest, user_id: userId, method: input.method },
        ip,
        requestId: c.get('requestId'),
      });
    }
    const created = await identity.sessions.create(
      now,
      {
        userId,
        kind: input.kind ?? 'browser',
        ttlSeconds: ttl,
        device: c.req.header('user-agent') ?? null,
        ip,
      },
      trx,
    );
    await appendAudit(trx, now, {
      org: DEPLOYMENT_AUDIT,
      action: 'auth.sign_in',
      actor: userId,
      target: userId,
      detail: { method: input.method, session_id: created.session.id },
      ip,
      requestId: c.get('requestId'),
    });
    return created;
  });
  if ('mfa_required' in outcome) return outcome;
  setSessionCookie(c, services.config, outcome.token, outcome.session.expiresAt);
  return {
    token: outcome.token,
    user_id: outcome.session.userId,
    expires_at: Math.floor(outcome.session.expiresAt / 1000),
  };
}

/**
 * The guest user id when the caller signs in from a guest session (their guest is then merged
 * into the account they sign in to), else null. A cross-site cookie is simply not a caller here.
 */
async function guestCaller(c: AppContext, services: Services): Promise<string | null> {
  try {
    const caller = await getAuth(c, services);
    return caller.isGuest && caller.authMethod === 'session' ? caller.userId : null;
  } catch (error) {
    if (error instanceof PylonError) return null;
    throw error;
  }
}

/** The caller's session, or 401. */
export async function requireSession(
  c: AppContext,
  services: Services,
): Promise<AuthContext & { userId: string; sessionId: string }> {
  const auth = await getAuth(c, services);
  if (auth.authMethod === 'api_key') {
    throw new PylonError('API_KEY_AUTH_FORBIDDEN');
  }
  if (auth.authMethod !== 'session' || auth.userId === null || auth.sessionId === undefined) {
    throw new PylonError('UNAUTHORIZED', {
      message: 'Sign in first: send a session as a bearer token or cookie',
    });
  }
  return auth as AuthContext & { userId: string; sessionId: string };
}

/** Throttle a sign-in endpoint by the caller's address, the same for every account. */
export async function limitSignInsByIP(identity: Identity, ip: string | null, now: number): Promise<void> {
  const decision = await identity.limiter.hit(identity.limits.signInsPerIP, ipBucket(ip), now);
  if (!decision.allowed) {
    throw rateLimited(
      decision.retryAfterSeconds,
      'Too many sign-in requests from this address: wait a minute',
    );
  }
}

export function rateLimited(retryAfterSeconds: number, hint: string): PylonError {
  return new PylonError('RATE_LIMITED', {
    hint,
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

/** Email checks shared by every route that takes one: MISSING_EMAIL, then INVALID_EMAIL. */
export function requireEmail(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new PylonError('MISSING_EMAIL');
  if (!isValidEmail(raw)) throw new PylonError('INVALID_EMAIL');
  return normalizeEmail(raw);
}

export async function auditUserCreated(
  identity: Identity,
  trx: DB,
  now: number,
  userId: string,
  method: string,
  requestId: string,
): Promise<void> {
  await appendAudit(trx, now, {
    org: DEPLOYMENT_AUDIT,
    action: 'user.created',
    actor: userId,
    target: userId,
    detail: { method },
    requestId,
  });
}
