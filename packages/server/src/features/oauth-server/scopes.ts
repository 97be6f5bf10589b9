/** The scope values this authorization server understands (RFC 6749 §3.3, OIDC Core §5.4, §11). */
export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/**
 * The scope granted for a requested one: the values this server knows, in a stable order, with
 * the rest left out (RFC 6749 §3.3 lets the server grant less; the token response says what).
 */
export function grantedScope(requested: string | undefined): string {
  const asked = new Set((requested ?? '').split(' ').filter((value) => value !== ''));
  return SUPPORTED_SCOPES.filter((value) => asked.has(value)).join(' ');
}

/**
 * RFC 6749 §6: the scope of an access token from a refresh — the grant's when none is asked for
 * (an empty value is no value, §3.1), else the asked values, in the grant's order, when the grant
 * holds every one of them (a narrower token is allowed); null when one is not granted.
 */
export function refreshedScope(granted: string, requested: string | undefined): string | null {
  const asked = new Set((requested ?? '').split(' ').filter((value) => value !== ''));
  if (asked.size === 0) return granted;
  const held = granted.split(' ').filter((value) => value !== '');
  if ([...asked].some((value) => !held.includes(value))) return null;
  return held.filter((value) => asked.has(value)).join(' ');
}
