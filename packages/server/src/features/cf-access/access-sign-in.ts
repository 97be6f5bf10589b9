import type { Identity } from '../identity/identity.js';
import { resolveOutsideAccount } from '../identity/outside-account.js';
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
    // The address Access authenticated counts as verified (docs/CF-ACCESS.md).
    prepare: (trx, now) =>
      resolveOutsideAccount(
        trx,
        identity,
        { provider, subject: person.subject, verifiedEmail: person.email, method: CF_ACCESS_METHOD },
        { now, ip: facts.ip, requestId: facts.requestId },
      ),
  });
}
