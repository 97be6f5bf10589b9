import { isValidEmail, normalizeEmail, PylonError } from '@pylon/core';
import { ActivityRecorder } from '../../activity/activity-recorder.js';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { Config } from '../../config/config.js';
import type { Services } from '../../http/context.js';
import { hkdfSha256 } from '../../platform/node-crypto.js';
import type { PasswordHasher } from '../../platform/password.js';
import { ipBucket } from '../../rate-limit/ip-bucket.js';
import { Lockouts } from '../../rate-limit/lockout.js';
import { RateLimiter } from '../../rate-limit/rate-limiter.js';
import { type IdentityLimits, identityLimits } from '../../rate-limit/rules.js';
import type { DB } from '../../storage/database.js';
import type { SessionKind } from '../../storage/schema.js';
import { MFAStore } from '../mfa/mfa-store.js';
import { TrustedDeviceStore } from '../trusted-devices/trusted-device-store.js';
import { CodeStore } from './code-store.js';
import {
  type CredentialDropper,
  type EmailProof,
  type EmailProofInput,
  recordEmailProof,
} from './email-proof.js';
import type { GuestMover } from './guest-merge.js';
import { SessionStore } from './session-store.js';
import { identitySignInMethods, type SignInMethod } from './sign-in-methods.js';
import { UserStore } from './user-store.js';

/** The identity feature's stores and helpers, built once per server from its services. */
export interface Identity {
  services: Services;
  users: UserStore;
  sessions: SessionStore;
  codes: CodeStore;
  limiter: RateLimiter;
  mfa: MFAStore;
  /** Devices that skip the second factor; sign-in reads them, password and TOTP changes forget them. */
  trustedDevices: TrustedDeviceStore;
  lockouts: Lockouts;
  limits: IdentityLimits;
  hasher: PasswordHasher;
  activity: ActivityRecorder;
  /**
   * Credentials that the first proof of an address drops. Identity registers the password, TOTP
   * and linked outside identities; features with credentials of their own (API keys, passkeys)
   * add theirs when built.
   */
  credentialDroppers: CredentialDropper[];
  /**
   * Standing access outside sessions that a password reset ends with them (an account's recovery
   * after a compromise): OAuth refresh tokens, registered by the authorization server. Each
   * revokes in the reset's transaction and counts what it revoked.
   */
  accessRevokers: CredentialDropper[];
  /**
   * Standing access that disabling an account ends besides its sessions and the accessRevokers'
   * (user-admin-routes.ts): API keys, approved device logins not yet collected. Each revokes in the
   * disable's transaction and counts what it revoked.
   */
  disableRevokers: CredentialDropper[];
  /**
   * What a guest holds that goes on with the person when the guest signs in to an account
   * (guest-merge.ts): org memberships, registered by the orgs feature.
   */
  guestMovers: GuestMover[];
  /**
   * Every way into an account, for "never the last way in" (sign-in-methods.ts): identity's own
   * (a password, a verified address for emailed codes, a linked identity), and each a feature adds
   * (passkeys) when built.
   */
  signInMethods: SignInMethod[];
}

export function createIdentity(services: Services): Identity {
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
    trustedDevices: new TrustedDeviceStore(db, services.random),
    credentialDroppers: [
      { name: 'password', drop: (trx, userId) => users.clearPassword(trx, userId) },
      { name: 'totp', drop: (trx, userId) => mfa.disable(trx, userId) },
      // A social identity linked while the address was unproven signs in as surely as a password.
      { name: 'linked_identities', drop: (trx, userId) => users.unlinkAllIdentities(trx, userId) },
    ],
    accessRevokers: [],
    disableRevokers: [],
    guestMovers: [],
    signInMethods: identitySignInMethods(services.config, users),
    lockouts: new Lockouts(db),
    limits: identityLimits(services.config.rateLimits),
    hasher: services.passwordHasher,
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

/** Device-login sessions live 24 h (PYLON_CLI_SESSION_TTL), every other kind PYLON_SESSION_TTL. */
export function sessionTTLSeconds(config: Config, kind: SessionKind): number {
  return kind === 'cli' ? config.cliSessionTTLSeconds : config.sessionTTLSeconds;
}

/** Throttle a sign-in endpoint by the caller's address, the same for every account. */
export async function limitSignInsByIP(identity: Identity, ip: string | null, now: number): Promise<void> {
  const refusal = await chargeSignInByIP(identity, ip, now, identity.services.storage.db);
  if (refusal) throw refusal;
}

/**
 * `limitSignInsByIP` on `db` (a transaction of the caller's), answering the refusal as a value so
 * that the transaction can still commit what it counted.
 */
export async function chargeSignInByIP(
  identity: Identity,
  ip: string | null,
  now: number,
  db: DB,
): Promise<PylonError | null> {
  const decision = await identity.limiter.hit(identity.limits.signInsPerIP, ipBucket(ip), now, db);
  return decision.allowed
    ? null
    : rateLimited(decision.retryAfterSeconds, 'Too many sign-in requests from this address: wait a minute');
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
