import { isSlug } from '@pylon/core/slug';
import { type BearerSource, readBearer } from './bearer.js';
import { qualifyCapability } from './capability.js';
import { CapabilityDeniedError, TokenInvalidError } from './errors.js';
import { type OnEvent, safeEmitter } from './events.js';
import { createKeySet } from './key-set.js';
import { createMinter } from './mint.js';
import { createOrgResolver, type DiscoveredOrg } from './org-discovery.js';
import { normalizeOrgURL } from './org-url.js';
import { type Actor, type Clock, type FetchLike, type JWKSCache, systemClock } from './types.js';
import { createVerifier } from './verify-token.js';

/** App and org ids are slugs, as Pylon mints them. */

export interface PylonClientOptions {
  /**
   * Where this Pylon is reached: the deployment's URL (`http://127.0.0.1:4000`) or the org's
   * `api_url` (`https://pylon.example.com/o/acme`). One `GET {orgUrl}/discover` finds the org's
   * `api_url` (the tokens' `iss`); it must be on the same origin and serve `expectedOrgId`.
   */
  orgUrl: string;
  /** This app's id: the `aud` and `app` of the tokens it accepts, and what it mints for. */
  appId: string;
  /** The org this app serves: tokens whose `org` claim differs are refused. */
  expectedOrgId: string;
  /** A session to mint with; otherwise `PYLON_SESSION_TOKEN`, read at each mint. */
  sessionToken?: string;
  fetch?: FetchLike;
  /** An object whose `now()` returns milliseconds since the epoch; default `{ now: Date.now }`. */
  clock?: Clock;
  /** Shares the key set between processes (see docs/SDK.md "Caches"). */
  jwksCache?: JWKSCache;
  onEvent?: OnEvent;
  /** Verified tokens kept (LRU); each entry lives at most until its token's `exp`. */
  tokenCacheSize?: number;
  /** Accept a plain-http `orgUrl` off loopback. Only for a private network you trust. */
  allowInsecureHTTP?: boolean;
  /** Longest token life accepted (`exp − iat` and `exp − now`), in seconds; default 32. */
  maxTokenLifetimeSeconds?: number;
  /**
   * This server's resource URL (RFC 8707), as registered on its app in Pylon (`resource`): set it
   * to also accept the OAuth access tokens (RFC 9068, `typ: at+jwt`) Pylon issues for it, whose
   * `aud` it is. Without it only scoped tokens are accepted. https, or http on loopback.
   */
  resource?: string;
  /** Longest access-token life accepted, in seconds; default 302 (Pylon's 5 minutes, plus the skew). */
  maxAccessTokenLifetimeSeconds?: number;
  /**
   * Where configuration warnings go (a discovery that failed, tokens issued for another URL):
   * default `console`; `null` silences them (they still reach `onEvent`).
   */
  logger?: { warn(message: string): void } | null;
}

export interface PylonClient {
  readonly orgUrl: string;
  readonly appId: string;
  readonly orgId: string;
  /** The `resource` option: this server's resource URL, when it accepts OAuth access tokens. */
  readonly resource: string | undefined;
  /**
   * The actor of a request's bearer token; `null` when there is none or it is not valid. A source
   * that is neither a request with headers nor `{ bearer }` throws `InvalidArgumentError`.
   */
  resolve(source: BearerSource): Promise<Actor | null>;
  /**
   * The actor of a token; throws `TokenInvalidError` (the reason goes to `onEvent` only), for a
   * value that is not a string too (`malformed`).
   */
  verify(token: string): Promise<Actor>;
  /**
   * Capabilities may be given bare (`notes.read`) or namespaced for this app (`notes:notes.read`);
   * anything else (not a string, another app's `other:…`) throws `InvalidArgumentError`. A null
   * actor (what `resolve` answers without a valid token) has none, and neither has an actor of
   * another app or org.
   */
  hasCapability(actor: Actor | null, capability: string): boolean;
  /**
   * Throws `CapabilityDeniedError`: `insufficient_capability` when the actor lacks the
   * capability, `no_session` when there is no actor (`resolve` answered null).
   */
  requireCapability(actor: Actor | null, capability: string): void;
  /** A scoped token for this app from the process's own session (single-flight, cached). */
  mintScopedToken(): Promise<string>;
  /**
   * The org `orgUrl` serves, from its `/discover` (made once, on first use of the client, or
   * now): call it at start-up to fail fast on a wrong `orgUrl` or `expectedOrgId`. Throws
   * `OrgDiscoveryError`.
   */
  discover(): Promise<DiscoveredOrg>;
}

export const CLIENT_DEFAULTS = {
  /** Tolerance on `nbf` and `exp` (docs/SDK.md "Verify"). */
  skewSeconds: 2,
  /** Longest token life accepted: Pylon's scoped tokens live 30 s, plus the skew. */
  maxTokenLifetimeSeconds: 30 + 2,
  /** Longest access token accepted: Pylon's live 5 minutes, plus the skew. */
  maxAccessTokenLifetimeSeconds: 300 + 2,
  tokenCacheSize: 10_000,
} as const;

export function pylonClient(options: PylonClientOptions): PylonClient {
  const orgUrl = normalizeOrgURL(options.orgUrl, { allowInsecureHTTP: options.allowInsecureHTTP === true });
  const { appId, expectedOrgId: orgId } = options;
  if (!isSlug(appId)) throw new TypeError('appId must be an app id slug, e.g. "notes"');
  if (!isSlug(orgId)) throw new TypeError('expectedOrgId must be an org id slug, e.g. "default"');
  const clock = checkClock(options.clock);
  // Looked up at each call, so a fetch patched after construction (tests, tracing) is used.
  const fetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const maxLifetimeSeconds = positiveSeconds(
    options.maxTokenLifetimeSeconds ?? CLIENT_DEFAULTS.maxTokenLifetimeSeconds,
    'maxTokenLifetimeSeconds',
  );
  const resource =
    options.resource === undefined
      ? undefined
      : checkResource(options.resource, options.allowInsecureHTTP === true);
  const accessTokens =
    resource === undefined
      ? undefined
      : {
          resource,
          maxLifetimeSeconds: positiveSeconds(
            options.maxAccessTokenLifetimeSeconds ?? CLIENT_DEFAULTS.maxAccessTokenLifetimeSeconds,
            'maxAccessTokenLifetimeSeconds',
          ),
        };
  const emit = safeEmitter(options.onEvent);
  const logger = options.logger === undefined ? globalThis.console : options.logger;
  const warn = (message: string) => {
    try {
      logger?.warn(message);
    } catch {}
  };

  const resolveOrg = createOrgResolver({
    orgUrl,
    expectedOrgId: orgId,
    allowInsecureHTTP: options.allowInsecureHTTP === true,
    fetch,
    clock,
    emit,
    warn,
  });
  const keySet = createKeySet({
    url: async () => `${(await resolveOrg()).baseURL}/.well-known/pylon-keys`,
    fetch,
    clock,
    emit,
    external: options.jwksCache,
  });
  const verify = createVerifier({
    keySet,
    resolveOrg,
    expected: { appId, orgId, skewSeconds: CLIENT_DEFAULTS.skewSeconds, maxLifetimeSeconds },
    accessTokens,
    clock,
    emit,
    warn,
    tokenCacheSize: options.tokenCacheSize ?? CLIENT_DEFAULTS.tokenCacheSize,
  });
  const mintScopedToken = createMinter({
    baseURL: async () => (await resolveOrg()).baseURL,
    appId,
    fetch,
    clock,
    session: () => options.sessionToken ?? readEnvironmentSession(),
  });
  // The name is checked first, so a bad one is reported with or without an actor. `!actor`, not
  // `=== null`: a JavaScript caller may pass undefined for "no actor" too. The actor's org is
  // checked as well as its app: one verified by another org's client (same app id) is not ours.
  const holds = (actor: Actor | null, qualified: string) =>
    actor ? actor.app === appId && actor.org === orgId && actor.caps.includes(qualified) : false;
  const hasCapability = (actor: Actor | null, capability: string) =>
    holds(actor, qualifyCapability(capability, appId));

  return {
    orgUrl,
    appId,
    orgId,
    resource,
    verify,
    async resolve(source) {
      const token = readBearer(source);
      if (token === undefined) return null;
      try {
        return await verify(token);
      } catch (error) {
        if (error instanceof TokenInvalidError) return null;
        throw error;
      }
    },
    hasCapability,
    requireCapability(actor, capability) {
      const qualified = qualifyCapability(capability, appId);
      if (!actor) throw new CapabilityDeniedError(qualified, { noActor: true });
      if (!holds(actor, qualified)) throw new CapabilityDeniedError(qualified);
    },
    mintScopedToken,
    async discover() {
      const { id, name, api_url } = await resolveOrg();
      return { id, name, api_url };
    },
  };
}

function positiveSeconds(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`${name} must be a positive number of seconds`);
  return value;
}

// A bare function (`clock: Date.now`) would only fail at the first verify, as "clock.now is not a
// function": say so here instead.
function checkClock(clock: Clock | undefined): Clock {
  if (clock === undefined) return systemClock;
  if (typeof clock?.now !== 'function') {
    throw new TypeError(
      'clock must be an object whose now() returns milliseconds since the epoch, e.g. { now: () => Date.now() }',
    );
  }
  return clock;
}

/**
 * RFC 8707 §2: an absolute URI without a fragment; https except on loopback, as for `orgUrl`.
 * Returned as the URL parser writes it (`https://h` → `https://h/`), which is how Pylon stores an
 * app's resource and so what it writes into `aud`.
 */
function checkResource(resource: string, allowInsecureHTTP: boolean): string {
  let url: URL;
  try {
    url = new URL(resource);
    normalizeOrgURL(`${url.origin}/`, { allowInsecureHTTP });
  } catch {
    throw new TypeError(
      'resource must be an https URL (http on loopback), e.g. https://notes.example.com/mcp',
    );
  }
  if (url.hash !== '' || resource.includes('#') || url.username !== '' || url.password !== '') {
    throw new TypeError('resource must not carry a fragment or credentials');
  }
  return url.href;
}

// Guarded so the module also loads where there is no `process` (workers, browsers).
function readEnvironmentSession(): string | undefined {
  return globalThis.process?.env?.PYLON_SESSION_TOKEN || undefined;
}
