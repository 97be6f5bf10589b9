import { OrgDiscoveryError } from './errors.js';
import type { OnEvent } from './events.js';
import { canonicalIssuer, isSameOrigin, normalizeOrgURL } from './org-url.js';
import { REQUEST_TIMEOUT_MS, requestSignal } from './request-timeout.js';
import type { Clock, FetchLike } from './types.js';

/** Timings of the one `/discover` request a client makes (the key set's back-off, reused). */
export const DISCOVERY_DEFAULTS = {
  backoffInitialMs: 1000,
  backoffMaxMs: 30_000,
  /** REQUEST_TIMEOUT_MS, as every request to Pylon. */
  requestTimeoutMs: REQUEST_TIMEOUT_MS,
} as const;

/** What `GET {orgUrl}/discover` told this client, once checked. */
export interface DiscoveredOrg {
  id: string;
  name: string;
  /** The org's `api_url`: what its tokens carry as `iss`. */
  api_url: string;
}

export interface ResolvedOrg extends DiscoveredOrg {
  /**
   * Where this client sends its requests: the `api_url`'s path on the origin it was given. The
   * two differ only in the spelling of a loopback host, and the one given is known to answer.
   */
  baseURL: string;
}

/**
 * Pure check of a `/discover` answer reached at `givenURL`: an org id that is the expected one,
 * and an `api_url` on the origin that answered (as pylon-cli requires), so a spoofed or
 * misrouted answer cannot send this client's session, or its trust, to another host.
 */
export function checkDiscovery(
  body: unknown,
  givenURL: string,
  expectedOrgId: string,
  options: { allowInsecureHTTP: boolean },
): ResolvedOrg {
  const {
    id,
    name,
    api_url: apiURL,
  } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof id !== 'string' || typeof apiURL !== 'string') {
    throw new OrgDiscoveryError(`${givenURL}/discover did not answer {id, name, api_url}: is this a Pylon?`);
  }
  let normalized: string;
  try {
    normalized = normalizeOrgURL(apiURL, options);
  } catch {
    throw new OrgDiscoveryError(`${givenURL}/discover answered an api_url that is not a usable URL`);
  }
  if (!isSameOrigin(normalized, givenURL)) {
    throw new OrgDiscoveryError(
      `${givenURL} says its api_url is ${normalized}, on another origin: refused. Set orgUrl to ${normalized} if that is where this Pylon is reached, or fix PYLON_PUBLIC_URL on the server`,
    );
  }
  if (id !== expectedOrgId) {
    throw new OrgDiscoveryError(
      `${givenURL} serves org "${id}", but expectedOrgId is "${expectedOrgId}": set orgUrl to that org's api_url (…/o/${expectedOrgId})`,
    );
  }
  const baseURL =
    canonicalIssuer(normalized) === canonicalIssuer(givenURL)
      ? givenURL
      : `${new URL(givenURL).origin}${new URL(normalized).pathname}`;
  return { id, name: typeof name === 'string' ? name : id, api_url: normalized, baseURL };
}

export interface OrgResolverOptions {
  orgUrl: string;
  expectedOrgId: string;
  allowInsecureHTTP: boolean;
  fetch: FetchLike;
  clock: Clock;
  emit: OnEvent;
  warn: (message: string) => void;
}

/**
 * `orgUrl` may be the deployment's URL, an org's `api_url`, or the `api_url` spelt with another
 * loopback name: one `/discover`, made lazily and shared by concurrent callers, says which. A
 * success is kept for the client's life; after a failure, callers get the same error at once
 * until the back-off (1 s doubling to 30 s) has passed, so a down Pylon is not hammered.
 */
export function createOrgResolver(options: OrgResolverOptions): () => Promise<ResolvedOrg> {
  const { orgUrl, clock, emit } = options;
  let resolved: ResolvedOrg | undefined;
  let inflight: Promise<ResolvedOrg> | undefined;
  let lastError: OrgDiscoveryError | undefined;
  let failures = 0;
  let retryAt = Number.NEGATIVE_INFINITY;
  const warned = new Set<string>();

  async function discover(): Promise<ResolvedOrg> {
    let response: Response;
    try {
      response = await options.fetch(`${orgUrl}/discover`, {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: requestSignal(),
      });
    } catch {
      throw new OrgDiscoveryError(`Pylon could not be reached at ${orgUrl}/discover`);
    }
    if (!response.ok) {
      throw new OrgDiscoveryError(`${orgUrl}/discover answered ${response.status}: is orgUrl right?`, {
        status: response.status,
      });
    }
    const body: unknown = await response.json().catch(() => undefined);
    return checkDiscovery(body, orgUrl, options.expectedOrgId, options);
  }

  function fail(error: unknown): never {
    const failure =
      error instanceof OrgDiscoveryError ? error : new OrgDiscoveryError(`discovery at ${orgUrl} failed`);
    failures += 1;
    const delay = Math.min(
      DISCOVERY_DEFAULTS.backoffInitialMs * 2 ** (failures - 1),
      DISCOVERY_DEFAULTS.backoffMaxMs,
    );
    retryAt = clock.now() + delay;
    lastError = failure;
    emit('org.discovery_failed', { message: failure.message, failures, retry_in_ms: delay });
    // Once per distinct problem: a misconfiguration is said once, not at every back-off.
    if (!warned.has(failure.message)) {
      warned.add(failure.message);
      options.warn(`@pylon/sdk: ${failure.message}`);
    }
    throw failure;
  }

  return function resolveOrg() {
    if (resolved !== undefined) return Promise.resolve(resolved);
    if (inflight !== undefined) return inflight;
    if (lastError !== undefined && clock.now() < retryAt) return Promise.reject(lastError);
    inflight = discover()
      .then((org) => {
        resolved = org;
        emit('org.discovered', { id: org.id, api_url: org.api_url });
        return org;
      }, fail)
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
}
