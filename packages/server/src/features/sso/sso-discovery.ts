import { emailDomain } from './sso-rules.js';
import type { SSOStore } from './sso-store.js';

/**
 * Where a person of this email's domain starts an SSO sign-in (`/api/auth/orgs/:id/sso/start` or
 * `/saml/start`), or null when no org claims the domain. For the hosted login page.
 */
export async function ssoStartPath(store: SSOStore, email: string): Promise<string | null> {
  const domain = emailDomain(email);
  const found = domain === null ? null : await store.discover(domain);
  return found ? startPath(found) : null;
}

export function startPath(found: { orgId: string; kind: 'oidc' | 'saml' }): string {
  return `/api/auth/orgs/${encodeURIComponent(found.orgId)}/${found.kind === 'oidc' ? 'sso' : 'saml'}/start`;
}
