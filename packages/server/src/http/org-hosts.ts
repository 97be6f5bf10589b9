import { PylonError, SLUG_BODY } from '@pylon/core';
import type { MiddlewareHandler } from 'hono';
import type { Config } from '../config/config.js';
import type { AppContext, AppEnv, OrgLookup } from './context.js';

type HostConfig = Pick<Config, 'publicURL' | 'orgHosts' | 'orgHostTemplate'>;

export interface OrgHost {
  orgId: string;
  /** The org's api_url at this host: PYLON_PUBLIC_URL's scheme and the configured host. */
  apiURL: string;
}

function templatePattern(template: string): RegExp {
  const [before = '', after = ''] = template.split('{org}');
  const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${literal(before)}(${SLUG_BODY})${literal(after)}$`);
}

/**
 * The org a Host header names, from PYLON_ORG_HOSTS first, then PYLON_ORG_HOST_TEMPLATE; null
 * for any other host. RFC 9110 §7.2: the port is left out when it is the scheme's default, so
 * `:443` on https (`:80` on http) is dropped before comparing.
 */
export function orgForHost(config: HostConfig, hostHeader: string | undefined): OrgHost | null {
  if (!hostHeader) return null;
  const scheme = new URL(config.publicURL).protocol;
  const defaultPort = scheme === 'https:' ? ':443' : ':80';
  let host = hostHeader.trim().toLowerCase();
  if (host.endsWith(defaultPort)) host = host.slice(0, -defaultPort.length);
  // The api_url is built from the configuration, never from the header, once the header matched.
  const explicit = Object.hasOwn(config.orgHosts, host) ? config.orgHosts[host] : undefined;
  if (explicit !== undefined) return { orgId: explicit, apiURL: `${scheme}//${host}` };
  if (config.orgHostTemplate === null) return null;
  const match = templatePattern(config.orgHostTemplate).exec(host);
  if (!match?.[1]) return null;
  return { orgId: match[1], apiURL: `${scheme}//${config.orgHostTemplate.replace('{org}', match[1])}` };
}

function hostOf(c: AppContext): string | undefined {
  return c.req.header('host') ?? new URL(c.req.url).host;
}

/** True when the request reached the root RBAC surface (not `/o/{orgId}/…`, not `/api/auth`). */
function atRoot(c: AppContext): boolean {
  return c.get('surface') === 'rbac' && !c.req.path.startsWith('/o/');
}

/**
 * Serves an org at a host of its own: a root RBAC request whose Host names an org is that org's,
 * exactly as `/o/{orgId}/…` would be. Unknown hosts pass through untouched (the default org).
 */
export function orgHostRouting(config: HostConfig, orgs: OrgLookup): MiddlewareHandler<AppEnv> {
  const enabled = orgHostsEnabled(config);
  return async (c, next) => {
    const target = enabled && atRoot(c) ? orgForHost(config, hostOf(c)) : null;
    if (target) {
      if (!(await orgs.find(target.orgId))) throw new PylonError('org_not_found');
      c.set('orgId', target.orgId);
    }
    await next();
  };
}

/** Whether any org is served at a host of its own (PYLON_ORG_HOSTS, PYLON_ORG_HOST_TEMPLATE). */
export function orgHostsEnabled(config: HostConfig): boolean {
  return Object.keys(config.orgHosts).length > 0 || config.orgHostTemplate !== null;
}

/**
 * The api_url this request reached its org under, which `/discover` reports and scoped tokens
 * carry as `iss`: the org's own host at the root of that host, `{PYLON_PUBLIC_URL}/o/{orgId}`
 * otherwise.
 */
export function requestAPIURL(c: AppContext, config: HostConfig): string {
  if (atRoot(c)) {
    const target = orgForHost(config, hostOf(c));
    if (target && target.orgId === c.get('orgId')) return target.apiURL;
  }
  return orgAPIURL(config.publicURL, c.get('orgId'));
}

/** An org's RBAC base URL (its `api_url`): `{PYLON_PUBLIC_URL}/o/{orgId}`. */
export function orgAPIURL(publicURL: string, orgId: string): string {
  return `${publicURL}/o/${orgId}`;
}
