import { PylonError } from '@pylon/core';
import { refuseBreachedPassword } from './breached-passwords.js';
import { verifyCurrentPassword } from './current-password.js';
import type { Identity } from './identity.js';
import { replacePassword, requireStrongPassword } from './password-policy.js';
import type { RequestFacts } from './sign-in.js';

/**
 * Change a signed-in person's password: the current one must verify (under the password lockout,
 * current-password.ts), the new one pass the policy and the breach check; every other session of
 * the account is signed out. Returns how many were.
 * Shared by `POST /password/change` and the hosted `/account/security` page.
 */
export async function changePassword(
  identity: Identity,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  input: { userId: string; sessionId: string; currentPassword?: unknown; newPassword?: unknown },
): Promise<number> {
  const { services } = identity;
  const newPassword = requireStrongPassword(input.newPassword, 'newPassword');
  const ok = await verifyCurrentPassword(identity, facts, {
    userId: input.userId,
    password: input.currentPassword,
    during: 'password_change',
  });
  if (!ok) throw new PylonError('WRONG_PASSWORD');
  await refuseBreachedPassword(services, newPassword, facts.requestId);
  const hash = await identity.hasher.hash(newPassword);
  return replacePassword(identity, facts, {
    userId: input.userId,
    hash,
    action: 'password.changed',
    keepSession: input.sessionId,
  });
}
