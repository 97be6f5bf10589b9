import { isValidEmail, normalizeEmail } from '@pylon/core';
import { appendAudit } from '../../audit/audit-log.js';
import type { SSOAllowedDomain } from '../../config/config.js';
import type { Services } from '../../http/context.js';
import type { DB } from '../../storage/database.js';
import type { Identity } from '../identity/identity.js';
import { resolveOutsideAccount } from '../identity/outside-account.js';
import { type RequestFacts, type SignInOutcome, signIn } from '../identity/sign-in.js';
import type { OrgStore } from '../orgs/org-store.js';
import { emailDomain, isDomainAllowedFor, type SSODefaultRole } from './sso-rules.js';

export interface SSOSignInDeps {
  services: Pick<Services, 'config'>;
  identity: Identity;
  orgs: OrgStore;
}

/** What the protocol (OIDC or SAML) established about the person, and the connection's settings. */
export interface SSOAssertion {
  orgId: string;
  /** The OIDC issuer or the SAML IdP entity id. */
  issuer: string;
  /** The OIDC `sub` or the SAML NameID. */
  subject: string;
  email: string | null;
  /** True only when the IdP asserted it (OIDC `email_verified`; SAML: the IdP's own directory). */
  emailVerified: boolean;
  name: string | null;
  defaultRole: SSODefaultRole;
  /** The domains the org claimed for this connection: only their addresses are trusted. */
  emailDomains: readonly string[];
  method: 'org_sso';
}

/**
 * The identity an org's IdP signs in: scoped by org and issuer, so an identity linked through one
 * org's IdP can never be reached through another org's connection, even to the same issuer.
 */
export function ssoProvider(orgId: string, issuer: string): string {
  return `sso:${orgId}:${issuer}`;
}

/**
 * The email an org's IdP may speak for, normalised: asserted verified, one address as sign-up
 * accepts it (checked as asserted, before case folding: `\u212Aate@…` folds to `kate@…`), and in
 * a domain the org claimed that PYLON_SSO_ALLOWED_DOMAINS still allows for the org. Any org owner
 * can point Pylon at an IdP they run, which can assert any address it likes; the domain claim
 * (one org per domain, freemail refused, the operator's list) is what limits whose accounts an
 * IdP can reach.
 */
export function trustedSSOEmail(
  assertion: Pick<SSOAssertion, 'orgId' | 'email' | 'emailVerified' | 'emailDomains'>,
  allowedDomains: readonly SSOAllowedDomain[] | null,
): string | null {
  if (assertion.email === null || !assertion.emailVerified || !isValidEmail(assertion.email)) return null;
  const email = normalizeEmail(assertion.email);
  const domain = emailDomain(email);
  if (domain === null || !assertion.emailDomains.includes(domain)) return null;
  return isDomainAllowedFor(allowedDomains, assertion.orgId, domain) ? email : null;
}

/**
 * Finish an SSO sign-in, for OIDC and SAML alike, in one transaction: find the account by
 * (issuer, subject), else link or create one, join the org with the connection's default role
 * unless already a member (an existing role is never changed), create the session and audit
 * `auth.sign_in` with method `org_sso`. As with social sign-in (oauth/account-linking.ts), a
 * trusted email links to the existing account with that address; when that account's address was
 * unproven, this is its first proof, which revokes what an earlier holder of the address set up
 * (identity/email-proof.ts). An untrusted email is never stored, so it can claim no address.
 */
export function completeSSOSignIn(
  deps: SSOSignInDeps,
  facts: RequestFacts,
  assertion: SSOAssertion,
): Promise<SignInOutcome> {
  const { identity, orgs } = deps;
  const verifiedEmail = trustedSSOEmail(assertion, deps.services.config.ssoAllowedDomains);
  return signIn(identity, facts, {
    method: assertion.method,
    org: assertion.orgId,
    prepare: async (trx, now) => {
      const userId = await resolveSSOAccount(trx, identity, assertion, verifiedEmail, facts, now);
      await joinOrg(trx, orgs, assertion, userId, facts, now);
      return userId;
    },
  });
}

function resolveSSOAccount(
  trx: DB,
  identity: Identity,
  assertion: SSOAssertion,
  verifiedEmail: string | null,
  facts: RequestFacts,
  now: number,
): Promise<string> {
  return resolveOutsideAccount(
    trx,
    identity,
    {
      provider: ssoProvider(assertion.orgId, assertion.issuer),
      subject: assertion.subject,
      verifiedEmail,
      method: assertion.method,
      displayName: assertion.name,
    },
    { now, ip: facts.ip, requestId: facts.requestId },
  );
}

async function joinOrg(
  trx: DB,
  orgs: OrgStore,
  assertion: SSOAssertion,
  userId: string,
  facts: RequestFacts,
  now: number,
): Promise<void> {
  if ((await orgs.roleOf(assertion.orgId, userId, trx)) !== null) return;
  await orgs.addMember(trx, assertion.orgId, userId, assertion.defaultRole, now);
  await appendAudit(trx, now, {
    org: assertion.orgId,
    action: 'org.member_added',
    actor: { type: 'user', id: userId },
    target: userId,
    detail: { role: assertion.defaultRole, via: assertion.method },
    ip: facts.ip,
    requestId: facts.requestId,
  });
}
