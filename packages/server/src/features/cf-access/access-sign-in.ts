import type { DB } from '../../storage/database.js';
import { auditUserCreated, type Identity, proveEmail } from '../identity/identity.js';
import { type RequestFacts, type SignInOutcome, signIn } from '../identity/sign-in.js';
import type { AccessPerson } from './assertion.js';

/** The sign-in method in `auth.sign_in` audit entries and the sign-in metrics. */
export const CF_ACCESS_METHOD = 'cf_access';

/**
 * The provider name under which an Access identity is linked in the `identities` table: the team
 * domain is the issuer, so (`cf_access:<team domain>`, `sub`) is the same (issuer, subject) key
 * social and SSO sign-in use, and another team's subjects can never reach it.
 */
export const accessProvider = (teamDomain: string) => `cf_access:${teamDomain}`;

/**
 * The account an Access identity signs in to: the one linked to (team, sub); else the account
 * holding the address Access authenticated, which this sign-in proves (as a verified social or
 * SSO email does: an unproven earlier holder's sessions and credentials are dropped,
 * identity/email-proof.ts); else a new account with that address, verified.
 */
async function resolveAccessAccount(
  trx: DB,
  identity: Identity,
  provider: string,
  person: AccessPerson,
  facts: RequestFacts,
  now: number,
): Promise<string> {
  const linked = await identity.users.findLinkedUser(provider, person.subject, trx);
  if (linked !== null) return linked;
  const existing = await identity.users.findByEmail(person.email, trx);
  let userId: string;
  if (existing) {
    await proveEmail(trx, identity, {
      userId: existing.id,
      now,
      method: CF_ACCESS_METHOD,
      ip: facts.ip,
      requestId: facts.requestId,
    });
    userId = existing.id;
  } else {
    userId = (await identity.users.create(trx, now, { email: person.email, verified: true })).id;
    await auditUserCreated(trx, now, userId, CF_ACCESS_METHOD, facts.requestId);
  }
  await identity.users.linkIdentity(trx, {
    provider,
    subject: person.subject,
    userId,
    email: person.email,
    now,
  });
  return userId;
}

/**
 * Sign in the person a verified Access assertion names, through identity's one sign-in use case:
 * one transaction, the disabled-account refusal, the TOTP challenge for an account with a second
 * factor, the session, `auth.sign_in` with method `cf_access`, and the sign-in metrics.
 */
export function accessSignIn(
  identity: Identity,
  facts: RequestFacts,
  teamDomain: string,
  person: AccessPerson,
): Promise<SignInOutcome> {
  const provider = accessProvider(teamDomain);
  return signIn(identity, facts, {
    method: CF_ACCESS_METHOD,
    prepare: (trx, now) => resolveAccessAccount(trx, identity, provider, person, facts, now),
  });
}
