import { PylonError } from '@pylon/core';
import type { PasskeyAuthenticationCredential, PasskeyRegistrationCredential } from '@pylon/core/wire';
import type { z } from 'zod';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import { toBase64URL } from '../../crypto/random.js';
import { type Identity, limitSignInsByIP, requireEmail } from '../identity/identity.js';
import { requireRecentSignIn, type SessionCaller } from '../identity/reauthentication.js';
import { type RequestFacts, type SignInOutcome, signIn } from '../identity/sign-in.js';
import { requireAnotherWayIn } from '../identity/sign-in-methods.js';
import {
  authenticationOptions,
  CHALLENGE_TTL_SECONDS,
  claimedChallenge,
  type RelyingParty,
  registrationOptions,
  verifyAssertion,
  verifyRegistration,
} from './ceremony.js';
import type { Passkey, PasskeyStore } from './passkey-store.js';

/** The passkey use cases, free of HTTP: routes read the request, call these, and answer. */
export interface Passkeys {
  identity: Identity;
  store: PasskeyStore;
  rp: RelyingParty;
}

const challengeExpired = () => new PylonError('PASSKEY_CHALLENGE_EXPIRED');

/**
 * Options for a new passkey of the signed-in user, the challenge bound to their session. A passkey
 * signs in without the second factor, so adding one needs a recent sign-in (reauthentication.ts);
 * `finishRegistration` needs only the challenge this gave out.
 */
export async function startRegistration(
  passkeys: Passkeys,
  caller: SessionCaller,
): Promise<Record<string, unknown>> {
  const { identity, store, rp } = passkeys;
  const { services } = identity;
  await requireRecentSignIn(identity, caller);
  const now = services.clock.now();
  const user = await identity.users.findById(caller.userId);
  const options = await registrationOptions(rp, {
    challenge: services.random.bytes(32),
    userId: caller.userId,
    userName: user?.email ?? caller.userId,
    exclude: await store.listOf(caller.userId),
  });
  await store.saveChallenge({
    challenge: options.challenge,
    purpose: 'register',
    boundTo: caller.sessionId,
    userId: caller.userId,
    expiresAt: now + CHALLENGE_TTL_SECONDS * 1000,
    now,
  });
  return options as unknown as Record<string, unknown>;
}

/** Verifies the authenticator's answer and keeps the passkey; audited as `passkey.registered`. */
export async function finishRegistration(
  passkeys: Passkeys,
  caller: { userId: string; sessionId: string },
  input: { credential: z.infer<typeof PasskeyRegistrationCredential>; name?: string | undefined },
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
): Promise<Passkey> {
  const { identity, store, rp } = passkeys;
  const { services } = identity;
  const challenge = claimedChallenge(input.credential.response.clientDataJSON);
  if (challenge === null) throw challengeExpired();
  const consumed = await store.consumeChallenge({
    challenge,
    purpose: 'register',
    boundTo: caller.sessionId,
    now: services.clock.now(),
  });
  if (consumed === null || consumed.userId !== caller.userId) throw challengeExpired();
  const verified = await verifyRegistration(rp, input.credential, challenge);
  const now = services.clock.now();
  const passkey = await store.create({
    userId: caller.userId,
    ...verified,
    name: input.name ?? 'Passkey',
    now,
  });
  if (passkey === null) throw new PylonError('PASSKEY_ALREADY_REGISTERED');
  await appendAudit(services.storage.db, now, {
    org: DEPLOYMENT_AUDIT,
    action: 'passkey.registered',
    actor: caller.userId,
    target: passkey.id,
    detail: { passkey_id: passkey.id, name: passkey.name },
    ip: facts.ip,
    requestId: facts.requestId,
  });
  return passkey;
}

/**
 * Options for a sign-in, the challenge bound to the browser (`boundTo`, from its flow cookie).
 * Every passkey is discoverable (registration requires a resident key), so the options never list
 * credentials: with an email or without, for an account with passkeys, without, or no account at
 * all, they are the same but for the challenge — nothing tells whether an account exists or how
 * many passkeys it has. An email binds the challenge to its account, so only that account's
 * passkey can answer it.
 */
export async function startSignIn(
  passkeys: Passkeys,
  input: { email?: string | undefined; boundTo: string },
): Promise<Record<string, unknown>> {
  const { identity, store, rp } = passkeys;
  const { services } = identity;
  const now = services.clock.now();
  let userId: string | null = null;
  if (input.email !== undefined) {
    const user = await identity.users.findByEmail(requireEmail(input.email));
    userId = user?.id ?? null;
  }
  const options = await authenticationOptions(rp, { challenge: services.random.bytes(32) });
  await store.saveChallenge({
    challenge: options.challenge,
    purpose: 'login',
    boundTo: input.boundTo,
    userId,
    expiresAt: now + CHALLENGE_TTL_SECONDS * 1000,
    now,
  });
  return options as unknown as Record<string, unknown>;
}

/**
 * Signs in with a passkey assertion (WebAuthn L3 §7.2). The challenge is consumed first, so a
 * replayed assertion finds none; the signature counter must rise (or stay zero on authenticators
 * without one), raised in the sign-in's transaction. No TOTP challenge follows: the assertion was
 * made with user verification required, so it is already two factors (the device, and the
 * biometric or PIN that unlocked it).
 */
export async function finishSignIn(
  passkeys: Passkeys,
  facts: RequestFacts,
  input: { credential: z.infer<typeof PasskeyAuthenticationCredential>; boundTo: string | null },
): Promise<SignInOutcome> {
  const { identity, store, rp } = passkeys;
  const { services } = identity;
  await limitSignInsByIP(identity, facts.ip, services.clock.now());
  const { credential } = input;
  const challenge = claimedChallenge(credential.response.clientDataJSON);
  if (challenge === null || input.boundTo === null) throw challengeExpired();
  const consumed = await store.consumeChallenge({
    challenge,
    purpose: 'login',
    boundTo: input.boundTo,
    now: services.clock.now(),
  });
  if (consumed === null) throw challengeExpired();
  const passkey = credential.id === credential.rawId ? await store.findByCredentialId(credential.id) : null;
  try {
    if (passkey === null) throw new PylonError('INVALID_PASSKEY');
    if (consumed.userId !== null && consumed.userId !== passkey.userId)
      throw new PylonError('INVALID_PASSKEY');
    // A discoverable credential names its user (§7.2 step 6): it must be the passkey's owner.
    const handle = credential.response.userHandle;
    if (handle !== undefined && handle !== toBase64URL(new TextEncoder().encode(passkey.userId))) {
      throw new PylonError('INVALID_PASSKEY');
    }
    const counter = await verifyAssertion(rp, credential, challenge, passkey);
    return await signIn(identity, facts, {
      method: 'passkey',
      skipSecondFactor: true,
      prepare: async (trx, now) => {
        // Another assertion with this counter won the race: one of them is a clone (§6.1.1).
        if (!(await store.recordUse(trx, passkey.id, counter, now))) throw new PylonError('INVALID_PASSKEY');
        return passkey.userId;
      },
    });
  } catch (error) {
    if (error instanceof PylonError && error.code === 'INVALID_PASSKEY') {
      await auditRefusedAssertion(identity, facts, passkey);
    }
    throw error;
  }
}

/**
 * A refused assertion, audited `auth.sign_in_failed` (`method: passkey`). When the credential is
 * one of an account's passkeys, that account is the target, so its owner sees the attempt; an
 * unknown credential names no one.
 */
async function auditRefusedAssertion(
  identity: Identity,
  facts: RequestFacts,
  passkey: Passkey | null,
): Promise<void> {
  const { services } = identity;
  await appendAudit(services.storage.db, services.clock.now(), {
    org: DEPLOYMENT_AUDIT,
    action: 'auth.sign_in_failed',
    actor: { type: 'anonymous' },
    target: passkey === null ? null : { id: passkey.userId },
    detail: { method: 'passkey', ...(passkey === null ? {} : { passkey_id: passkey.id }) },
    ip: facts.ip,
    requestId: facts.requestId,
  });
  services.metrics.signIn('passkey', 'failed');
}

/**
 * Revoke one of the person's passkeys; it stops working at once. Another person's passkey is
 * not found, the same as none; the last way into the account stays (LAST_SIGN_IN_METHOD,
 * `requireAnotherWayIn`, in the removal's transaction with the user row locked first). Shared by
 * `DELETE /passkeys/:id` and the `/account/security` page.
 */
export async function removePasskey(
  identity: Identity,
  store: PasskeyStore,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  input: { userId: string; id: string },
): Promise<void> {
  const { services } = identity;
  await services.storage.db.transaction().execute(async (trx) => {
    if (!(await identity.users.lock(trx, input.userId))) throw new PylonError('SESSION_EXPIRED');
    if (!(await store.remove(trx, input.userId, input.id))) throw new PylonError('PASSKEY_NOT_FOUND');
    await requireAnotherWayIn(identity, trx, input.userId);
    await appendAudit(trx, services.clock.now(), {
      org: DEPLOYMENT_AUDIT,
      action: 'passkey.removed',
      actor: input.userId,
      target: input.id,
      detail: { passkey_id: input.id },
      ip: facts.ip,
      requestId: facts.requestId,
    });
  });
}
