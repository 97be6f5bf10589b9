import { isSlug } from '@pylon/core';
import { ConfigError, type Env } from './config-error.js';
import { read } from './parse-values.js';

// A Host header value as browsers and the CLI send it: lower-case name, optional port.
const HOST_PATTERN = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d{1,5})?$/;

/** PYLON_ORG_HOSTS=`acme=acme.pylon.test:4000,beta=beta.example.com` → host → org id. */
export function parseOrgHosts(env: Env): Record<string, string> {
  const hosts: Record<string, string> = {};
  for (const item of (read(env, 'PYLON_ORG_HOSTS') ?? '').split(',')) {
    if (item.trim() === '') continue;
    const [org = '', host = '', ...rest] = item.split('=').map((part) => part.trim());
    const name = host.toLowerCase();
    if (rest.length > 0 || !isSlug(org) || !HOST_PATTERN.test(name)) {
      throw new ConfigError('PYLON_ORG_HOSTS', `"${item.trim()}" must be <org id>=<host>[:<port>]`);
    }
    if (hosts[name] !== undefined) throw new ConfigError('PYLON_ORG_HOSTS', `${name} is listed twice`);
    hosts[name] = org;
  }
  return hosts;
}

/** PYLON_ORG_HOST_TEMPLATE: a host with exactly one `{org}`, e.g. `{org}.pylon.example.com`. */
export function parseOrgHostTemplate(env: Env): string | null {
  const raw = read(env, 'PYLON_ORG_HOST_TEMPLATE')?.toLowerCase();
  if (raw === undefined) return null;
  if (raw.split('{org}').length !== 2 || !HOST_PATTERN.test(raw.replace('{org}', 'org'))) {
    throw new ConfigError(
      'PYLON_ORG_HOST_TEMPLATE',
      'must be a host with one {org}, e.g. {org}.pylon.example.com',
    );
  }
  return raw;
}
