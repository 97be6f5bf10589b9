import { type Awaitable, isPending, promiseOf } from '../awaitable.js';
import type { CapabilityReading } from '../storage/capability-versions.js';

/**
 * Who is calling. Both surfaces resolve the caller into this one shape; identity, API keys and
 * external JWTs add resolvers, routes only read the result.
 */
export type AuthMethod = 'anonymous' | 'admin_token' | 'session' | 'api_key' | 'external_jwt';

export interface AuthContext {
  userId: string | null;
  email: string | null;
  emailVerified: boolean;
  isAdmin: boolean;
  isGuest: boolean;
  /** Role in the active org plus global roles. */
  roles: string[];
  /** The active org. */
  tenantId: string | null;
  authMethod: AuthMethod;
  /** Set when the caller authenticated with a session. */
  sessionId?: string;
  sessionExpiresAt?: number;
  /**
   * Set on an anonymous caller whose bearer token names a session that has expired: the RBAC
   * surface answers `expired` instead of `no_session` without reading the token again.
   */
  sessionLookup?: 'expired';
  /** Set when the caller authenticated with an API key: what it may do (empty: all the owner may). */
  apiKey?: { id: string; scopes: string[] };
  /**
   * The capability version of the request's org, when the resolver read it with the caller (the
   * session look-up does): capability checks of this request use it instead of reading it again.
   * It predates the request's own writes: a handler that changes what someone holds and then
   * checks again in the same request passes no reading, so that check reads the version afresh.
   */
  capabilityVersion?: CapabilityReading | null;
}

export const ANONYMOUS: AuthContext = Object.freeze({
  userId: null,
  email: null,
  emailVerified: false,
  isAdmin: false,
  isGuest: false,
  roles: [],
  tenantId: null,
  authMethod: 'anonymous',
}) as AuthContext;

/** What a resolver sees of the request: only credentials, already extracted. */
export interface Credentials {
  bearer: string | null;
  cookies: Readonly<Record<string, string>>;
  /** For checks that depend on the request (CSRF on cookie-authenticated writes). */
  method: string;
  origin: string | null;
  referer: string | null;
  userAgent: string | null;
  /** Any request header, for resolvers configured to read one (an identity-aware proxy's JWT). */
  header(name: string): string | null;
  /** The query string: credentials there are refused, never used. */
  query: URLSearchParams;
  /** The org the request acts in (org hosts), when known: a resolver may read its capability version. */
  orgId?: string | null;
}

/**
 * One step of caller resolution (first match wins). Returns null when the
 * credentials are not its kind; throws a PylonError when they are its kind but invalid. A resolver
 * that can tell without I/O — above all that the credentials are not its kind, which every request
 * asks of every resolver before the one that answers — returns its answer itself rather than a
 * promise of it, so declining costs no promise and no turn of the microtask queue.
 */
export interface CallerResolver {
  readonly name: string;
  resolve(credentials: Credentials): Awaitable<AuthContext | null>;
  /**
   * For a resolver that reads a credential from elsewhere than the bearer token (a cookie, a
   * header, the query): whether the request carries one, valid or not, from the credentials alone
   * (no I/O). A request that carries no credential at all is refused before its body is read on
   * routes that need a caller (http/anonymous.ts); a bearer token always counts as one.
   */
  presented?(credentials: Credentials): boolean;
}

/**
 * The caller, from the first resolver that recognises the credentials, else ANONYMOUS. Always a
 * promise, and a resolver's throw (synchronous or not) always its rejection; only a resolver that
 * answers with a promise is waited for.
 */
export function resolveCaller(
  resolvers: readonly CallerResolver[],
  credentials: Credentials,
): Promise<AuthContext> {
  return promiseOf(() => callerFrom(resolvers, credentials));
}

/**
 * `resolveCaller` for the hot paths (http/direct-lane.ts): the caller itself when every resolver
 * asked answered at once, a promise only from the first that answers with one; a resolver's
 * synchronous throw is thrown (awaitable.ts).
 */
export function callerFrom(
  resolvers: readonly CallerResolver[],
  credentials: Credentials,
): Awaitable<AuthContext> {
  return askFrom(0, resolvers, credentials);
}

/** The resolvers from the `first`-th on, in turn. */
function askFrom(
  first: number,
  resolvers: readonly CallerResolver[],
  credentials: Credentials,
): Awaitable<AuthContext> {
  for (let i = first; i < resolvers.length; i++) {
    const answer = resolvers[i]!.resolve(credentials);
    if (isPending(answer))
      return Promise.resolve(answer).then((context) => context ?? askFrom(i + 1, resolvers, credentials));
    if (answer) return answer;
  }
  return ANONYMOUS;
}

/**
 * The bearer token of an Authorization header: RFC 6750 §2.1, the `Bearer` scheme (any case) then
 * one token68 — the same rule the SDK applies, so quotes, commas and controls never reach a lookup.
 */
export function bearerFrom(header: string | undefined | null): string | null {
  if (!header) return null;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return match ? match[1]! : null;
}
