import type { OAuthServerContext } from './context.js';
import type { Person } from './tokens.js';

/** The person a grant is for, or null when the account is gone or disabled. */
export async function loadPerson(context: OAuthServerContext, userId: string): Promise<Person | null> {
  const user = await context.identity.users.findById(userId);
  if (!user || user.disabledAt !== null || user.isGuest) return null;
  return {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    name: user.displayName,
  };
}

/**
 * What the person holds in the app, through the resolver `POST /token` uses. Grants name email
 * addresses, so an unproven address holds nothing (as on the RBAC surface). Null when the app is
 * gone or disabled.
 */
export async function capabilitiesOf(
  context: OAuthServerContext,
  orgId: string,
  appId: string,
  person: Person,
): Promise<readonly string[] | null> {
  if (person.email === null || !person.emailVerified) {
    const app = await context.apps.find(orgId, appId);
    return app && app.status === 'active' ? [] : null;
  }
  const answer = await context.capabilities.resolve(orgId, appId, {
    email: person.email,
    userId: person.id,
  });
  // No membership and no grant: nothing held (`POST /token` refuses such a person outright).
  if (answer.kind === 'outsider') return [];
  return answer.kind === 'ok' ? answer.caps : null;
}
