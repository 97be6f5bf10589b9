/**
 * What a person allowed a client: carried from the authorisation code to every refresh token
 * descending from it, and read back into each access and id token.
 */
export interface Grant {
  orgId: string;
  clientId: string;
  userId: string;
  /** The remembered consent it was given under (revoking that revokes the grant's refresh tokens). */
  consentId: string | null;
  /** The app's registered resource URL (RFC 8707), or null for a sign-in without one (OIDC). */
  resource: string | null;
  /** Space-separated, as granted. */
  scope: string;
  /** Seconds since the epoch: when the person authenticated (OIDC `auth_time`). */
  authTime: number;
  /** RFC 8176 authentication method references. */
  amr: string[];
}

export function hasScope(grant: Pick<Grant, 'scope'>, scope: string): boolean {
  return grant.scope.split(' ').includes(scope);
}
