import { normalizeEmail, PylonError } from '@pylon/core';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { Identity } from '../identity/identity.js';
import type { RequestFacts } from '../identity/sign-in.js';
import type { ProviderProfile } from './social-providers.js';

/** The account has an address it has not proven, so it may not link yet (requireLinkableAccount). */
export function awaitsProofToLink(account: { email: string | null; emailVerified: boolean }): boolean {
  return account.email !== null && !account.emailVerified;
}

/**
 * A link needs the account's address proven, when it has one. Until then the account may be a
 * squatter's (account pre-hijacking): the first proof drops every identity linked before it
 * (email-proof.ts), so a link made now would be lost anyway, and refusing it says why up front.
 * An account without an address has nothing to prove and may link.
 */
export function requireLinkableAccount(account: { email: string | null; emailVerified: boolean }): void {
  if (awaitsProofToLink(account)) {
    throw new PylonError('EMAIL_NOT_VERIFIED', {
      message: 'Verify your email address before linking another account',
    });
  }
}

/**
 * Link a provider identity to the signed-in account that started the flow (`/login/:provider?link=1`).
 * Unlike a sign-in it never matches by email and mints no session: the account is the one whose
 * session started and finished the flow. The provider's email is kept on the identity row only
 * when the provider asserts it verified, and never becomes the account's address (an email change
 * has its own proof). An account whose address is unproven may not link (requireLinkableAccount).
 * The (provider, subject) key is unique: an identity linked to another account
 * is refused, one already linked here is a success, so a retried link is harmless.
 */
export async function linkProviderIdentity(
  identity: Identity,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  input: { userId: string; provider: string; profile: ProviderProfile },
): Promise<void> {
  const { services } = identity;
  const { provider, profile, userId } = input;
  const email = profile.email !== null && profile.emailVerified ? normalizeEmail(profile.email) : null;
  const owner = () => identity.users.findLinkedUser(provider, profile.subject);
  try {
    await services.storage.db.transaction().execute(async (trx) => {
      if (!(await identity.users.lock(trx, userId))) throw new PylonError('SESSION_EXPIRED');
      const user = await identity.users.findById(userId, trx);
      if (!user) throw new PylonError('SESSION_EXPIRED');
      requireLinkableAccount({ email: user.email, emailVerified: user.emailVerifiedAt !== null });
      const linked = await identity.users.findLinkedUser(provider, profile.subject, trx);
      if (linked === userId) return;
      if (linked !== null) throw new PylonError('IDENTITY_ALREADY_LINKED');
      const now = services.clock.now();
      await identity.users.linkIdentity(trx, { provider, subject: profile.subject, userId, email, now });
      await appendAudit(trx, now, {
        org: DEPLOYMENT_AUDIT,
        action: 'user.identity_linked',
        actor: { type: 'user', id: userId },
        target: { id: userId },
        detail: { provider },
        ip: facts.ip,
        requestId: facts.requestId,
      });
    });
  } catch (error) {
    if (error instanceof PylonError) throw error;
    // A link of the same identity raced this one and won the primary key: whose it is decides.
    const winner = await owner().catch(() => null);
    if (winner === userId) return;
    if (winner !== null) throw new PylonError('IDENTITY_ALREADY_LINKED');
    throw error;
  }
}
