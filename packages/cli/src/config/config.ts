import { parseDocument, stringify } from 'yaml';
import { isSameOrigin, normalizeBaseURL, URLPolicyError } from '../net/url-policy.js';
import { isOrgId } from '../org/org-id.js';

/** One org the CLI knows: its id, the `api_url` discovery gave, and names a person may type instead. */
export interface OrgEntry {
  id: string;
  api_url: string;
  aliases?: string[];
  /**
   * pylon-cli's marker of the default org (its docs write it beside `default_org`). Kept as
   * written; as in pylon-cli, only `default_org` chooses the default.
   */
  default?: boolean;
}

/**
 * `~/.pylon/config.yaml` (docs/CLI.md). It holds no secret: sessions live in the keyring or in
 * `~/.pylon/sessions/`, so the file can be shared or committed to dotfiles safely.
 */
export interface PylonConfig {
  default_org?: string;
  orgs: OrgEntry[];
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const TOP_LEVEL_KEYS = new Set(['default_org', 'orgs']);
/** An org's keys: ours, and pylon-cli's (its src/config.ts OrgRecord), so one file serves both. */
const ORG_KEYS = new Set(['id', 'api_url', 'aliases', 'default']);

/**
 * Parses and validates the config text. Unknown keys are refused, so a typo (or a token pasted
 * where it does not belong) is reported instead of silently ignored.
 */
export function parseConfig(text: string, source: string): PylonConfig {
  const document = parseDocument(text, { uniqueKeys: true, schema: 'core' });
  if (document.errors.length > 0) {
    throw new ConfigError(`${source} is not valid YAML: ${document.errors[0]!.message.split('\n')[0]}`);
  }
  const value: unknown = document.toJS({ maxAliasCount: 10 });
  if (value === null || value === undefined) return { orgs: [] };
  return validateConfig(value, source);
}

export function validateConfig(value: unknown, source: string): PylonConfig {
  const fail = (message: string): never => {
    throw new ConfigError(`${source}: ${message}`);
  };
  if (!isRecord(value)) return fail('expected a mapping with `orgs` (and optionally `default_org`)');
  for (const key of Object.keys(value)) {
    if (!TOP_LEVEL_KEYS.has(key)) fail(`unknown key \`${key}\` (allowed: default_org, orgs)`);
  }
  const rawOrgs = value['orgs'] ?? [];
  if (!Array.isArray(rawOrgs)) return fail('`orgs` must be a list');
  const names = new Map<string, string>();
  const orgs = rawOrgs.map((raw, index): OrgEntry => {
    const where = `orgs[${index}]`;
    if (!isRecord(raw)) return fail(`${where} must be a mapping with id and api_url`);
    for (const key of Object.keys(raw)) {
      if (!ORG_KEYS.has(key))
        fail(`${where}: unknown key \`${key}\` (allowed: id, api_url, aliases, default)`);
    }
    const id = raw['id'];
    if (typeof id !== 'string' || !isOrgId(id))
      return fail(`${where}.id must be an org id (a lowercase slug)`);
    const apiURL = raw['api_url'];
    if (typeof apiURL !== 'string') return fail(`${where}.api_url must be a URL`);
    let normalized = '';
    try {
      normalized = normalizeBaseURL(apiURL, `${where}.api_url`);
    } catch (error) {
      if (error instanceof URLPolicyError) fail(error.message);
      throw error;
    }
    const aliases = raw['aliases'];
    if (aliases !== undefined && (!Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string'))) {
      fail(`${where}.aliases must be a list of names`);
    }
    for (const name of [id, ...((aliases as string[] | undefined) ?? [])]) {
      if (name.trim() === '') fail(`${where}: an alias must not be empty`);
      const owner = names.get(name);
      if (owner !== undefined) fail(`\`${name}\` names both ${owner} and ${id}`);
      names.set(name, id);
    }
    const marker = raw['default'];
    if (marker !== undefined && typeof marker !== 'boolean') fail(`${where}.default must be true or false`);
    const entry: OrgEntry = { id, api_url: normalized };
    if (aliases !== undefined && (aliases as string[]).length > 0) entry.aliases = [...(aliases as string[])];
    if (typeof marker === 'boolean') entry.default = marker;
    return entry;
  });
  const defaultOrg = value['default_org'];
  if (defaultOrg === undefined || defaultOrg === null) return { orgs };
  if (typeof defaultOrg !== 'string') return fail('`default_org` must be an org id');
  if (!orgs.some((org) => org.id === defaultOrg)) {
    return fail(`default_org \`${defaultOrg}\` is not one of the orgs listed`);
  }
  return { default_org: defaultOrg, orgs };
}

export function serializeConfig(config: PylonConfig): string {
  const body: Record<string, unknown> = {};
  if (config.default_org !== undefined) body['default_org'] = config.default_org;
  body['orgs'] = config.orgs.map((org) => ({
    id: org.id,
    api_url: org.api_url,
    ...(org.aliases && org.aliases.length > 0 ? { aliases: org.aliases } : {}),
    ...(org.default === undefined ? {} : { default: org.default }),
  }));
  return `# pylon CLI configuration: org ids and URLs only, never a secret (see docs/CLI.md).\n${stringify(body)}`;
}

/** The org a person named, by id or alias. */
export function findOrg(config: PylonConfig, name: string): OrgEntry | undefined {
  return config.orgs.find((org) => org.id === name) ?? config.orgs.find((org) => org.aliases?.includes(name));
}

/**
 * Adds the org or updates its api_url; the aliases and marker a person wrote are kept. An
 * api_url written as the bare origin of the discovered one, as pylon-cli writes it, names the
 * same org on the same server (resolve-org.ts sameOrgURL) and is kept as written.
 */
export function upsertOrg(config: PylonConfig, org: { id: string; api_url: string }): PylonConfig {
  const existing = config.orgs.find((entry) => entry.id === org.id);
  const keepWritten =
    existing !== undefined && isBareOrigin(existing.api_url) && isSameOrigin(existing.api_url, org.api_url);
  const updated: OrgEntry = existing
    ? { ...existing, api_url: keepWritten ? existing.api_url : org.api_url }
    : { id: org.id, api_url: org.api_url };
  const orgs = existing
    ? config.orgs.map((entry) => (entry.id === org.id ? updated : entry))
    : [...config.orgs, updated];
  return { ...config, orgs };
}

export function removeOrg(config: PylonConfig, id: string): PylonConfig {
  const orgs = config.orgs.filter((org) => org.id !== id);
  return config.default_org === id ? { orgs } : { ...config, orgs };
}

/**
 * Makes the org the default. A file that marks its default with pylon-cli's `default: true` has
 * the marker moved along, so it never names two defaults.
 */
export function setDefaultOrg(config: PylonConfig, id: string): PylonConfig {
  if (!config.orgs.some((org) => org.id === id)) throw new ConfigError(`no org \`${id}\` in the config`);
  if (!config.orgs.some((org) => org.default === true)) return { ...config, default_org: id };
  const orgs = config.orgs.map((org): OrgEntry => {
    const { default: _marker, ...rest } = org;
    return org.id === id ? { ...rest, default: true } : rest;
  });
  return { ...config, default_org: id, orgs };
}

/** An api_url that is an origin alone (`https://pylon.example.com`), as pylon-cli writes them. */
function isBareOrigin(url: string): boolean {
  try {
    return new URL(url).pathname === '/';
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
