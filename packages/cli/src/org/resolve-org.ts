import { CLIError } from '../cli-error.js';
import { findOrg, type OrgEntry, type PylonConfig } from '../config/config.js';
import { EXIT } from '../exit-codes.js';
import { isSameOrigin, normalizeBaseURL } from '../net/url-policy.js';
import type { DiscoveredOrg } from './discovery.js';

/** The org flags every command takes. */
export interface OrgSelector {
  org?: string;
  orgUrl?: string;
}

export type OrgSource = '--org' | '--org-url' | 'PYLON_ORG_ID' | 'PYLON_ORG_URL' | 'default_org' | 'prompt';

export interface ResolvedOrg {
  id: string;
  api_url: string;
  source: OrgSource;
  /** Set when the org was found through `/discover` on this run (not from the config). */
  discovered?: DiscoveredOrg;
}

export interface OrgResolutionDeps {
  config: PylonConfig;
  env: Readonly<Record<string, string | undefined>>;
  discover(url: string, what: string): Promise<DiscoveredOrg>;
  /** Present only when a person is at a terminal. */
  prompt?: ((question: string) => Promise<string>) | undefined;
}

const LOGIN_HINT = 'log in with `pylon login --org-url https://…`, or pass --org / set PYLON_ORG_ID';

/**
 * Org resolution (docs/CLI.md "Choosing the org"), first match wins: `--org`, `--org-url` (via `/discover`),
 * `PYLON_ORG_ID`, `PYLON_ORG_URL`, `default_org`, a prompt on a TTY, else exit 2.
 *
 * An id and a URL given together must agree: the URL is discovered and must serve that id
 * (exit 8). An id not in the config is usable only together with a URL.
 */
export async function resolveOrg(selector: OrgSelector, deps: OrgResolutionDeps): Promise<ResolvedOrg> {
  const envId = nonEmpty(deps.env['PYLON_ORG_ID']);
  const envURL = nonEmpty(deps.env['PYLON_ORG_URL']);
  const flagOrg = nonEmpty(selector.org);
  const flagURL = nonEmpty(selector.orgUrl);

  if (flagOrg !== undefined) {
    if (flagURL !== undefined) return discoverExpecting(deps, flagURL, '--org-url', flagOrg, '--org');
    return fromConfig(deps, flagOrg, '--org', envURL);
  }
  if (flagURL !== undefined) return discoverExpecting(deps, flagURL, '--org-url');
  if (envId !== undefined) return fromConfig(deps, envId, 'PYLON_ORG_ID', envURL);
  if (envURL !== undefined) return discoverExpecting(deps, envURL, 'PYLON_ORG_URL');
  const { config } = deps;
  if (config.default_org !== undefined) {
    const entry = findOrg(config, config.default_org)!;
    return { id: entry.id, api_url: entry.api_url, source: 'default_org' };
  }
  if (deps.prompt && config.orgs.length > 0) return promptForOrg(config, deps.prompt);
  throw new CLIError(EXIT.usage, 'no org selected', LOGIN_HINT);
}

async function fromConfig(
  deps: OrgResolutionDeps,
  name: string,
  source: '--org' | 'PYLON_ORG_ID',
  fallbackURL: string | undefined,
): Promise<ResolvedOrg> {
  const entry = findOrg(deps.config, name);
  if (entry) return { id: entry.id, api_url: entry.api_url, source };
  // Headless use: PYLON_ORG_ID=acme PYLON_ORG_URL=https://… with no config file at all.
  if (fallbackURL !== undefined) {
    const resolved = await discoverExpecting(deps, fallbackURL, 'PYLON_ORG_URL', name, source);
    return { ...resolved, source };
  }
  throw new CLIError(EXIT.usage, `unknown org \`${name}\` (${source}): it is not in the config`, LOGIN_HINT);
}

async function discoverExpecting(
  deps: OrgResolutionDeps,
  url: string,
  source: '--org-url' | 'PYLON_ORG_URL',
  expected?: string,
  expectedFrom?: string,
): Promise<ResolvedOrg> {
  const discovered = await deps.discover(url, source);
  if (expected !== undefined) {
    const known = findOrg(deps.config, expected);
    const expectedId = known?.id ?? expected;
    if (discovered.id !== expectedId) {
      throw new CLIError(
        EXIT.orgMismatch,
        `${expectedFrom} says org \`${expectedId}\`, but ${url} serves org \`${discovered.id}\``,
      );
    }
  }
  assertMatchesCache(deps.config, discovered, url);
  return { id: discovered.id, api_url: discovered.api_url, source, discovered };
}

/**
 * ADR "trust boundary": the config is a cache of earlier discoveries. When a fresh discovery
 * contradicts it (the org moved, or the URL now serves another org), nothing is silently
 * rewritten: the person decides, and `pylon forget` is the way out. Exit 8.
 */
export function assertMatchesCache(config: PylonConfig, discovered: DiscoveredOrg, reachedURL: string): void {
  const cached = config.orgs.find((org) => org.id === discovered.id);
  if (cached && !sameOrgURL(cached.api_url, discovered.api_url)) {
    throw mismatch(
      `the config has org \`${cached.id}\` at ${cached.api_url}, but discovery at ${reachedURL} says ${discovered.api_url}`,
      cached.id,
    );
  }
  const reached = safeNormalize(reachedURL);
  const other = config.orgs.find(
    (org) => org.id !== discovered.id && (org.api_url === discovered.api_url || org.api_url === reached),
  );
  if (other) {
    throw mismatch(
      `the config has ${other.api_url} serving org \`${other.id}\`, but discovery says it serves \`${discovered.id}\``,
      other.id,
    );
  }
}

/** Re-discovers a configured org at its own api_url; it must still be the same org (exit 8). */
export async function verifyCachedOrg(
  entry: Pick<OrgEntry, 'id' | 'api_url'>,
  discover: (url: string, what: string) => Promise<DiscoveredOrg>,
): Promise<DiscoveredOrg> {
  const discovered = await discover(entry.api_url, `org ${entry.id}'s api_url`);
  if (discovered.id !== entry.id || !sameOrgURL(entry.api_url, discovered.api_url)) {
    throw mismatch(
      `the config has org \`${entry.id}\` at ${entry.api_url}, but discovery there says org \`${discovered.id}\` at ${discovered.api_url}`,
      entry.id,
    );
  }
  return discovered;
}

/**
 * Whether the api_url the config has for an org and the one discovery answers for the same id name
 * the same place, compared as pylon-cli compares them: by origin. pylon-cli keeps only the origin of
 * an api_url (its docs write the bare origin), while discovery answers the org's full base
 * (`…/o/<id>`); the org's id is compared beside this. The CONTRACT's same-origin rule is untouched:
 * discovery's api_url must still be on the origin that answered (discovery.ts checkDiscovery), so
 * a session is never sent to another host.
 */
export function sameOrgURL(configured: string, discovered: string): boolean {
  return isSameOrigin(configured, discovered);
}

function mismatch(message: string, id: string): CLIError {
  return new CLIError(
    EXIT.orgMismatch,
    `cached org does not match discovery: ${message}`,
    `if the change is expected, run \`pylon forget --org ${id}\` and log in again`,
  );
}

async function promptForOrg(
  config: PylonConfig,
  prompt: (question: string) => Promise<string>,
): Promise<ResolvedOrg> {
  const menu = config.orgs.map((org, index) => `  ${index + 1}) ${org.id}  ${org.api_url}`).join('\n');
  const answer = (await prompt(`Which org?\n${menu}\nOrg [1-${config.orgs.length}]: `)).trim();
  const byNumber = /^\d+$/.test(answer) ? config.orgs[Number(answer) - 1] : undefined;
  const entry = byNumber ?? findOrg(config, answer);
  if (!entry) throw new CLIError(EXIT.usage, `no org chosen (${JSON.stringify(answer)} is not in the list)`);
  return { id: entry.id, api_url: entry.api_url, source: 'prompt' };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function safeNormalize(url: string): string | undefined {
  try {
    return normalizeBaseURL(url);
  } catch {
    return undefined;
  }
}
