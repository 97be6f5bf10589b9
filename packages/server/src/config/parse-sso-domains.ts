import { isSlug } from '@pylon/core';
import type { PylonEnv } from './config.js';
import { ConfigError, type Env } from './config-error.js';
import { read } from './parse-values.js';

const VARIABLE = 'PYLON_SSO_ALLOWED_DOMAINS';

/** A DNS name of at least two labels (RFC 1035 §2.3.1 letters, digits, hyphens), lowercase. */
export const DOMAIN_PATTERN =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** One PYLON_SSO_ALLOWED_DOMAINS entry: an email domain, and the one org that may claim it. */
export interface SSOAllowedDomain {
  readonly domain: string;
  /** The org id of an `org=domain` entry; null for a bare domain, which any org may claim. */
  readonly org: string | null;
}

/**
 * PYLON_SSO_ALLOWED_DOMAINS=`acme=acme.com,example.org`: the email domains orgs may claim for SSO,
 * each bare (any org) or bound to one org. A claim lets the org's IdP, which its owner runs,
 * speak for every address of the domain, so production allows none unless the operator listed
 * it: unset there means an empty list. Unset in development means any domain (null), as a
 * development deployment trusts its users anyway (anyone may mint a session for any user there).
 */
export function parseSSOAllowedDomains(env: Env, pylonEnv: PylonEnv): readonly SSOAllowedDomain[] | null {
  const raw = read(env, VARIABLE);
  if (raw === undefined) return pylonEnv === 'production' ? Object.freeze([]) : null;
  const entries: SSOAllowedDomain[] = [];
  for (const item of raw.split(',')) {
    if (item.trim() === '') continue;
    const parts = item.split('=').map((part) => part.trim());
    const [org, domain] = parts.length === 2 ? parts : [null, parts[0]!];
    const name = domain?.toLowerCase() ?? '';
    if (parts.length > 2 || (org !== null && !isSlug(org)) || !DOMAIN_PATTERN.test(name)) {
      throw new ConfigError(VARIABLE, `"${item.trim()}" must be <domain> or <org id>=<domain>`);
    }
    if (entries.some((entry) => entry.domain === name)) {
      throw new ConfigError(VARIABLE, `${name} is listed twice`);
    }
    entries.push(Object.freeze({ domain: name, org }));
  }
  return Object.freeze(entries);
}
