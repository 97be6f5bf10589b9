import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ErrorCode, PylonError } from '@pylon/core';
import { type Awaitable, isPending } from '../awaitable.js';
import { anonymousRefusal, carriesCredential } from './anonymous.js';
import { type AuthContext, type Credentials, callerFrom } from './auth-context.js';
import type { Services, Surface } from './context.js';
import { errorAnswer, logFault } from './errors.js';
import { credentialsOf } from './get-auth.js';
import { loggedTarget } from './middleware/access-log.js';
import { securityHeaderEntries } from './middleware/security-headers.js';
import { orgAPIURL, orgForHost, orgHostsEnabled } from './org-hosts.js';
import {
  type AnyRoute,
  bodyLimit,
  mediaType,
  type PlainRequest,
  readNodeText,
  routeBody,
} from './route-table.js';

/**
 * The direct lane: Node's request listener answers a few hot routes (`GET /api/auth/me`,
 * `POST /token` and `GET /whoami`, at the root and under `/o/{orgId}`) itself, without Hono's
 * per-request work (a Web `Request` and `Headers` built from Node's, the middleware chain, a
 * `Response` read back into Node's). It runs the very same steps with the very same functions: the
 * route's `answer` (route-table.ts), the caller resolvers, the body's parsing and schema, the
 * request id, the security headers, the error catalogue's rendering, the request metrics and the
 * access log. Its answers are byte for byte the full pipeline's (test/http/direct-lane.test.ts
 * sends every case both ways).
 *
 * It takes only requests whose answer cannot depend on anything it skips, decided from the request
 * line and headers before any work: the exact path of a route that has an `answer` (no query; an
 * org named in the path must exist, as the full pipeline's org look-up requires), a bearer
 * credential and no cookie (so no session cookie and no CSRF rule applies), no header repeated
 * that Node keeps once, a JSON body of declared length where the route takes one, and at the root
 * no org served at the request's host. Anything else, and every request when a feature runs
 * middleware of its own (the Cloudflare Access gate), goes to Hono.
 */
export type DirectLane = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface DirectLaneOptions {
  services: Services;
  /**
   * The routes of each surface as mounted: auth under `/api/auth`, RBAC at the root and under
   * `/o/:orgId` (ORG_PREFIX, the one parameter a prefix may hold).
   */
  groups: { surface: Surface; prefix: string; routes: readonly AnyRoute[] }[];
  /** The request ids the full pipeline gives (middleware/request-id.ts), shared so none repeats. */
  nextRequestId(incoming: string | undefined): string;
}

interface Entry {
  route: AnyRoute;
  surface: Surface;
  /** Mounted under ORG_PREFIX: the org named in the path must exist. */
  inOrg: boolean;
  /** The route pattern the request metrics count it under, as Hono's `routePath` names it. */
  pattern: string;
  limit: number;
  answer: NonNullable<AnyRoute['answer']>;
  /** What a request carrying no credential is refused with (anonymous.ts), or null. */
  refusal: ErrorCode | null;
}

/** The org-scoped RBAC mount: its org is looked up as server.ts's middleware for it does. */
export const ORG_PREFIX = '/o/:orgId';

/**
 * Headers of which Node keeps only the first when a request repeats them
 * (https://nodejs.org/api/http.html#messageheaders), where the Web `Headers` the full pipeline
 * builds joins them: a request repeating one (two `Authorization` lines) is left to Hono, whose
 * reading of it the lane would not share.
 */
const KEPT_ONCE = new Set([
  'authorization',
  'content-type',
  'content-length',
  'host',
  'user-agent',
  'referer',
]);

function repeatsAHeaderNodeKeepsOnce(request: IncomingMessage): boolean {
  const raw = request.rawHeaders;
  // As many names in Node's headers as lines in the request: no name came twice, in any case.
  if (Object.keys(request.headers).length * 2 === raw.length) return false;
  const seen: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!KEPT_ONCE.has(name)) continue;
    if (seen.includes(name)) return true;
    seen.push(name);
  }
  return false;
}

const NO_COOKIES: Readonly<Record<string, string>> = Object.freeze({});
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export function createDirectLane(options: DirectLaneOptions): DirectLane {
  const { services, nextRequestId } = options;
  const { config, logger, metrics } = services;
  // By method, then by the path as mounted: a request's look-up builds no string.
  const entries = new Map<string, Map<string, Entry>>();
  for (const { surface, prefix, routes } of options.groups) {
    for (const route of routes) {
      if (!route.answer) continue;
      const pattern = `${prefix}${route.path}`;
      const method = route.method.toUpperCase();
      if (!entries.has(method)) entries.set(method, new Map());
      entries.get(method)!.set(pattern, {
        route,
        surface,
        inOrg: prefix === ORG_PREFIX,
        pattern,
        limit: bodyLimit(route, services),
        answer: route.answer,
        refusal: anonymousRefusal(surface, route),
      });
    }
  }
  const security = securityHeaderEntries({ https: config.publicURL.startsWith('https:') });
  const orgHosts = orgHostsEnabled(config);

  function takes(request: IncomingMessage, entry: Entry): boolean {
    const { headers } = request;
    if (headers.authorization === undefined || headers.cookie !== undefined) return false;
    if (repeatsAHeaderNodeKeepsOnce(request)) return false;
    // An org host applies at the root of the RBAC surface only (org-hosts.ts).
    if (entry.surface === 'rbac' && !entry.inOrg && orgHosts && orgForHost(config, headers.host) !== null)
      return false;
    if (!entry.route.body) return true;
    return (
      headers['content-length'] !== undefined &&
      headers['transfer-encoding'] === undefined &&
      mediaType(headers['content-type']) === 'application/json'
    );
  }

  // As the full pipeline sends them: the Web Headers' lower-case names in sorted order, then the
  // length the Node adapter adds. Built once; a request adds only its id (and an error's headers).
  const fixed: [string, string][] = [
    ['content-type', 'application/json'],
    ...security.map(([name, value]): [string, string] => [name.toLowerCase(), value]),
  ];
  const sorted = (named: [string, string][]) => named.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const before = sorted(fixed.filter(([name]) => name < 'x-request-id')).flat();
  const after = sorted(fixed.filter(([name]) => name > 'x-request-id')).flat();
  // The usual answer's headers with a slot for the id and one for the length, copied per request.
  const usual = [...before, 'x-request-id', '', ...after, 'Content-Length', ''];
  const idSlot = before.length + 1;
  const lengthSlot = usual.length - 1;

  function write(
    response: ServerResponse,
    requestId: string,
    status: number,
    body: unknown,
    extra: Readonly<Record<string, string>>,
  ): void {
    const json = JSON.stringify(body);
    const length = String(Buffer.byteLength(json));
    let headers: string[];
    if (extra === NO_HEADERS || Object.keys(extra).length === 0) {
      headers = usual.slice();
      headers[idSlot] = requestId;
      headers[lengthSlot] = length;
    } else {
      const named = new Map<string, string>([...fixed, ['x-request-id', requestId]]);
      for (const [name, value] of Object.entries(extra)) named.set(name.toLowerCase(), value);
      headers = sorted([...named]).flat();
      headers.push('Content-Length', length);
    }
    response.writeHead(status, headers);
    response.end(json);
  }

  /**
   * The route's steps, as the full pipeline runs them: the org's existence and the body (each a
   * wait) only where the route has them, then its `answer`. Where nothing waits — `GET /me` at the
   * root on SQLite, answered from memory — the request is answered before this returns, without a
   * promise (awaitable.ts); else the answer is written when it arrives. Either way every error ends
   * in the error catalogue's answer.
   */
  function serve(
    request: IncomingMessage,
    response: ServerResponse,
    entry: Entry,
    orgId: string,
  ): Awaitable<void> {
    const started = performance.now();
    const startedAt = services.clock.now();
    const { headers } = request;
    const requestId = nextRequestId(headers['x-request-id'] as string | undefined);
    // Read once: the check that a credential is present and the caller's resolution share them.
    let credentials: Credentials | null = null;
    const credentialsOnce = (): Credentials => {
      credentials ??= credentialsOf({
        header: (name) => headers[name] as string | undefined,
        cookies: NO_COOKIES,
        method: request.method!,
        url: request.url!,
        orgId,
      });
      return credentials;
    };
    let auth: Awaitable<AuthContext> | null = null;
    const plain = (body: unknown): PlainRequest => ({
      body,
      orgId,
      auth: () => {
        auth ??= callerFrom(services.resolvers, credentialsOnce());
        return auth;
      },
      apiURL: () => orgAPIURL(config.publicURL, orgId),
    });

    // The full pipeline's error boundary (server.ts onError, errors.ts renderError): the status sent.
    const failed = (error: unknown): number => {
      logFault(logger, requestId, error);
      const answer = errorAnswer(entry.surface, requestId, error);
      // No body for a client that closed its connection, as the full pipeline (it reaches nobody).
      if (answer.body === null) response.writeHead(answer.status).end();
      else write(response, requestId, answer.status, answer.body, answer.headers);
      return answer.status;
    };
    const answered = (value: object): number => {
      try {
        write(response, requestId, 200, value, NO_HEADERS);
        return 200;
      } catch (error) {
        return failed(error);
      }
    };
    const record = (status: number) => {
      metrics.observeRequest(request.method!, entry.pattern, status, (performance.now() - started) / 1000);
      if (logger.isLevelEnabled('info')) {
        // The request's path is its whole URL: the lane takes none with a query.
        const target = loggedTarget(request.url!, request.url!);
        logger.info(
          { requestId, method: request.method, ...target, status, ms: services.clock.now() - startedAt },
          'request',
        );
      }
    };

    let answer: Awaitable<object>;
    try {
      if (entry.inOrg || entry.route.body) {
        answer = inputsOf(request, entry, orgId, credentialsOnce).then((body) => entry.answer(plain(body)));
      } else {
        refuseAnonymous(entry, credentialsOnce);
        answer = entry.answer(plain(undefined));
      }
    } catch (error) {
      return record(failed(error));
    }
    if (isPending(answer)) return Promise.resolve(answer).then(answered, failed).then(record);
    record(answered(answer));
  }

  /** As the full pipeline's route table: a request with no credential at all, before any body. */
  function refuseAnonymous(entry: Entry, credentials: () => Credentials): void {
    if (entry.refusal !== null && !carriesCredential(entry.route, services.resolvers, credentials()))
      throw new PylonError(entry.refusal);
  }

  /**
   * What the route's answer waits for: its org's existence (under `/o/{orgId}`), then — once a
   * request without a credential was refused — its body.
   */
  async function inputsOf(
    request: IncomingMessage,
    entry: Entry,
    orgId: string,
    credentials: () => Credentials,
  ): Promise<unknown> {
    if (entry.inOrg && !(await services.orgs.find(orgId))) throw new PylonError('org_not_found');
    refuseAnonymous(entry, credentials);
    if (!entry.route.body) return undefined;
    const text = await readNodeText({ incoming: request }, entry.limit, entry.surface)!;
    return routeBody(entry.route, entry.surface, 'application/json', text);
  }

  /** The route and org a request line names, if the lane has the route. */
  function find(method: string, url: string): { entry: Entry; orgId: string } | null {
    const routes = entries.get(method);
    if (routes === undefined) return null;
    const atRoot = routes.get(url);
    if (atRoot !== undefined) return { entry: atRoot, orgId: config.orgId };
    if (!url.startsWith('/o/')) return null;
    const end = url.indexOf('/', 3);
    const orgId = url.slice(3, end);
    // An encoded org id is decoded by Hono's router; leave those to it.
    if (end === -1 || orgId === '' || orgId.includes('%')) return null;
    const inOrg = routes.get(`${ORG_PREFIX}${url.slice(end)}`);
    return inOrg === undefined ? null : { entry: inOrg, orgId };
  }

  return (request, response) => {
    const found = find(request.method!, request.url!);
    if (found === null || !takes(request, found.entry)) return false;
    // Only a fault outside the route's own steps reaches the catch (they end in errorAnswer):
    // never leave the connection hanging, never let a rejection go unhandled.
    const broken = (error: unknown) => {
      logger.error({ err: error }, 'direct lane failed');
      if (response.writableEnded) return;
      if (response.headersSent) response.destroy();
      else response.writeHead(500).end();
    };
    try {
      const served = serve(request, response, found.entry, found.orgId);
      if (isPending(served)) Promise.resolve(served).catch(broken);
    } catch (error) {
      broken(error);
    }
    return true;
  };
}
