/**
 * What an audit action means, said to the person whose account it concerns (`/account/activity`);
 * the action's code stays next to it for anyone who searches the log. An action without a phrase
 * here is shown by its code alone.
 */
const PHRASES: Readonly<Record<string, string>> = {
  'auth.sign_in': 'Signed in',
  'auth.sign_in_failed': 'Sign-in refused',
  'auth.sign_out': 'Signed out',
  'user.created': 'Account created',
  'user.deleted': 'Account deleted',
  'user.disabled': 'Account disabled',
  'user.enabled': 'Account enabled',
  'user.email_verified': 'Email address proven',
  'user.email_changed': 'Email address changed',
  'user.identity_linked': 'Account linked',
  'user.identity_unlinked': 'Account unlinked',
  'password.changed': 'Password changed',
  'password.reset': 'Password reset',
  'totp.enrolled': 'Two-factor authentication turned on',
  'totp.disabled': 'Two-factor authentication turned off',
  'passkey.registered': 'Passkey added',
  'passkey.removed': 'Passkey removed',
  'session.revoked': 'Session ended',
  'trusted_device.added': 'Browser trusted',
  'trusted_device.revoked': 'Trusted browser forgotten',
  'api_key.created': 'API key created',
  'api_key.revoked': 'API key revoked',
  'oauth.consent_revoked': 'App disconnected',
  'jwt.minted': 'Token issued for another service',
  'guest.merged': 'Guest activity joined to the account',
  'guest.upgraded': 'Guest account completed',
  'org.invite_sent': 'Invited to an organisation',
  'org.invite_accepted': 'Invitation accepted',
  'org.member_added': 'Joined an organisation',
  'org.member_removed': 'Left or removed from an organisation',
  'org.role_changed': 'Organisation role changed',
  'role.granted': 'Role granted in an app',
  'role.revoked': 'Role revoked in an app',
};

/** Sign-in methods as a person knows them (`detail.method` of `auth.sign_in`). */
const METHODS: Readonly<Record<string, string>> = {
  magic_code: 'emailed code',
  password: 'password',
  passkey: 'passkey',
  totp: 'authenticator code',
  device: 'device login',
  org_sso: 'organisation single sign-on',
  password_reset: 'password reset',
  guest: 'guest',
};

/** The phrase for an entry, with the sign-in method where the entry names one. */
export function activityPhrase(action: string, detail: unknown): string | null {
  const phrase = PHRASES[action];
  if (phrase === undefined) return null;
  const method =
    detail !== null &&
    typeof detail === 'object' &&
    typeof (detail as { method?: unknown }).method === 'string'
      ? (detail as { method: string }).method
      : null;
  if (method === null || !action.startsWith('auth.sign_in')) return phrase;
  const first = method.split('+')[0]!;
  const named = METHODS[first] ?? (first.startsWith('oauth_') ? first.slice('oauth_'.length) : first);
  return `${phrase} (${named})`;
}

/** Where an entry happened: an org's id, or the account itself for the deployment's `*`. */
export function activityPlace(org: string): string {
  return org === '*' ? 'Your account' : org;
}
