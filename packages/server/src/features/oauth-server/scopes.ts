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
