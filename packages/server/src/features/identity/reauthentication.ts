import { PylonError } from '@pylon/core';
import { type PasswordRecheck, verifyCurrentPassword } from './current-password.js';
import type { Identity } from './identity.js';
import type { RequestFacts } from './sign-in.js';

/** How recent a sign-in the steps below need. */
export const REAUTH_WINDOW_MS = 5 * 60 * 1000;

/** A signed-in caller, by their session. */
export interface SessionCaller {
  userId: string;
  sessionId: string;
}

/**
 * Re-authentication, before a step that adds a way into the account or removes the account: adding
 * a passkey, enrolling TOTP, new backup codes, an API key, a new address, deleting the account.
 * Without it a session taken for a moment (a borrowed laptop, a leaked cookie) could be turned
 * into lasting access of its own, one that outlives the session's revocation. The session's holder
 * must have signed in within the last five minutes: a sign-in of any method, the second factor
 * included; a refresh is no sign-in (it keeps the time), nor is a device login (its session has
 * none). REAUTH_REQUIRED otherwise; the hosted pages then offer to sign in again and come back.
 */
export async function requireRecentSignIn(identity: Identity, caller: SessionCaller): Promise<void> {
  if (!(await signedInRecently(identity, caller))) throw new PylonError('REAUTH_REQUIRED');
}

async function signedInRecently(identity: Identity, caller: SessionCaller): Promise<boolean> {
  const now = identity.services.clock.now();
  const session = await identity.sessions.findLive(caller.userId, caller.sessionId, now);
  return session?.authenticatedAt != null && now - session.authenticatedAt <= REAUTH_WINDOW_MS;
}

/**
 * `requireRecentSignIn`, or the account's current password for a step that takes one instead
 * (account deletion). A password sent is always checked, recent sign-in or not, under the password
 * lockout (current-password.ts); a wrong one is REAUTH_REQUIRED too.
 */
export async function requireRecentSignInOrPassword(
  identity: Identity,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  input: SessionCaller & { password?: string | undefined; during: PasswordRecheck },
): Promise<void> {
  if (input.password === undefined || input.password === '') {
    if (await signedInRecently(identity, input)) return;
    throw new PylonError('REAUTH_REQUIRED', {
      message: 'Sign in again, or send your current password, within 5 minutes before this',
    });
  }
  const ok = await verifyCurrentPassword(identity, facts, {
    userId: input.userId,
    password: input.password,
    during: input.during,
  });
  if (!ok) throw new PylonError('REAUTH_REQUIRED', { message: 'The password is wrong' });
}
