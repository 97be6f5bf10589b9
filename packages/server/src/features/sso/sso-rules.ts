import { PylonError } from '@pylon/core';
import { type Config, isLoopbackHost, type SSOAllowedDomain } from '../../config/config.js';
import { DOMAIN_PATTERN } from '../../config/parse-sso-domains.js';

/**
 * Consumer mail domains no org may claim: a claim routes every sign-in from the domain to the
 * claiming org's IdP, so one org owner could otherwise capture every Gmail user of the deployment.
 * Matched exactly, lowercased (a subdomain such as `eu.gmail.com` is not on the list).
 */
export const FREEMAIL_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com',
  'googlemail.com',
  'yahoo.com',
  'yahoo.co.uk',
  'yahoo.co.jp',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'aol.com',
  'protonmail.com',
  'proton.me',
  'mail.com',
  'gmx.com',
  'gmx.net',
  'gmx.de',
  'yandex.com',
  'yandex.ru',
  'qq.com',
  '163.com',
  '126.com',
  'fastmail.com',
  'fastmail.fm',
  'zoho.com',
  'tutanota.com',
  'duck.com',
]);

const notListedMessage = (domain: string) =>
  `${domain} cannot be claimed for SSO here: the deployment's operator must list it in PYLON_SSO_ALLOWED_DOMAINS`;

/**
 * The email domains a connection claims, lowercased and deduplicated, for both OIDC and SAML.
 * Pure: refuses a malformed domain (VALIDATION_FAILED), a freemail one (DOMAIN_BLOCKLISTED) and
 * one that PYLON_SSO_ALLOWED_DOMAINS lists for no org (DOMAIN_NOT_ALLOWED); which org a bound
 * entry allows is checked where the claim is made (requireClaimableDomains, by SSOStore).
 */
export function checkEmailDomains(
  raw: readonly string[],
  allowed: readonly SSOAllowedDomain[] | null,
): string[] {
  const domains = [...new Set(raw.map((domain) => domain.trim().toLowerCase()))];
  for (const domain of domains) {
    if (!DOMAIN_PATTERN.test(domain)) {
      throw new PylonError('VALIDATION_FAILED', {
        message: `email_domains: "${domain}" is not a domain name`,
      });
    }
    if (FREEMAIL_DOMAINS.has(domain)) {
      throw new PylonError('DOMAIN_BLOCKLISTED', {
        message: `${domain} is a public email domain and cannot be claimed for SSO`,
      });
    }
    if (allowed !== null && !allowed.some((entry) => entry.domain === domain)) {
      throw new PylonError('DOMAIN_NOT_ALLOWED', {
        message: notListedMessage(domain),
      });
    }
  }
  return domains;
}

/**
 * Whether PYLON_SSO_ALLOWED_DOMAINS, as it is now, lets this org's IdP speak for this domain: a
 * bare entry for any org, an `org=domain` entry for that org only, anything when unset in
 * development (null). Asked at the claim, at every sign-in and by discovery, so a claim the
 * operator has since withdrawn counts for nothing.
 */
export function isDomainAllowedFor(
  allowed: readonly SSOAllowedDomain[] | null,
  orgId: string,
  domain: string,
): boolean {
  if (allowed === null) return true;
  return allowed.some((entry) => entry.domain === domain && (entry.org === null || entry.org === orgId));
}

/** Refuses (DOMAIN_NOT_ALLOWED) a claim by this org on a domain the operator did not allow it. */
export function requireClaimableDomains(
  allowed: readonly SSOAllowedDomain[] | null,
  orgId: string,
  domains: readonly string[],
): void {
  const refused = domains.find((domain) => !isDomainAllowedFor(allowed, orgId, domain));
  if (refused === undefined) return;
  throw new PylonError('DOMAIN_NOT_ALLOWED', {
    message: allowed?.some((entry) => entry.domain === refused)
      ? `${refused} is reserved for another org in PYLON_SSO_ALLOWED_DOMAINS`
      : notListedMessage(refused),
  });
}

/** The part after the last `@`, lowercased; null when there is none. */
export function emailDomain(email: string): string | null {
  const at = email.lastIndexOf('@');
  if (at < 1 || at === email.length - 1) return null;
  return email
    .slice(at + 1)
    .trim()
    .toLowerCase();
}

/**
 * An IdP URL Pylon will call or send people to: https only, because the discovery document, the
 * token exchange and the key set are what the sign-in's trust rests on (RFC 9700 §2.6). Plain
 * http is accepted for a loopback IdP in development mode only, for local testing.
 */
export function requireSecureIdPURL(raw: string, config: Pick<Config, 'env'>, field: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PylonError('VALIDATION_FAILED', { message: `${field} is not a URL` });
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && config.env === 'development' && isLoopbackHost(url.hostname)) return url;
  throw new PylonError('INSECURE_SSO_URL', {
    message: `${field} must be an https:// URL (plain http only for a loopback IdP in development mode)`,
  });
}

/** The roles a first SSO sign-in may join with (`default_role`), as requireDefaultRole accepts them. */
export const SSO_DEFAULT_ROLES = ['member', 'admin'] as const;
export type SSODefaultRole = (typeof SSO_DEFAULT_ROLES)[number];

/**
 * The role a first SSO sign-in joins with. `owner` is refused: an IdP misconfiguration must never
 * hand over control of the org.
 */
export function requireDefaultRole(raw: string | undefined): SSODefaultRole {
  if (raw === undefined || raw === 'member') return 'member';
  if (raw === 'admin') return 'admin';
  throw new PylonError('BAD_DEFAULT_ROLE', {
    message: raw === 'owner' ? 'default_role owner is refused: SSO never makes owners' : undefined,
  });
}

/**
 * Where an SSO sign-in may send the browser back: an absolute URL on a trusted origin
 * (PYLON_TRUSTED_ORIGINS and the public URL's origin), or on a loopback origin in development
 * mode. Anything else would be an open redirect carrying a fresh session (RFC 9700 §4.11).
 */
export function requireTrustedRedirect(raw: string, config: Pick<Config, 'env' | 'trustedOrigins'>): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PylonError('UNTRUSTED_REDIRECT');
  }
  const loopback = config.env === 'development' && isLoopbackHost(url.hostname);
  if (!(url.protocol === 'https:' || url.protocol === 'http:')) throw new PylonError('UNTRUSTED_REDIRECT');
  if (!loopback && !config.trustedOrigins.includes(url.origin)) throw new PylonError('UNTRUSTED_REDIRECT');
  return url.toString();
}

/**
 * The redirect URI an org's IdP must have registered, from PYLON_PUBLIC_URL; null when the public
 * URL cannot serve as one (not an absolute http(s) URL, or plain http in production).
 */
export function ssoRedirectURI(config: Pick<Config, 'env' | 'publicURL'>, orgId: string): string | null {
  let base: URL;
  try {
    base = new URL(config.publicURL);
  } catch {
    return null;
  }
  if (base.protocol !== 'https:' && (base.protocol !== 'http:' || config.env === 'production')) return null;
  return `${config.publicURL.replace(/\/$/, '')}/api/auth/orgs/${encodeURIComponent(orgId)}/sso/callback`;
}
