import type { MiddlewareHandler } from 'hono';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import type { AppEnv } from '../context.js';

const REDACTED = '[redacted]';

/**
 * Path segments that are secrets, as route templates where `*` marks the secret segment. A
 * template matches anywhere in the path, so it covers every prefix a route is mounted under
 * (`/api/auth`, `/o/{org}`). A route that puts a secret in its path adds its template here.
 */
export const SECRET_PATH_TEMPLATES: readonly string[] = [
  // Invite tokens: the JSON accept endpoint and the hosted page the email links to.
  '/invites/*/accept',
  '/invite/*',
];

/**
 * Query parameters whose values are secrets or personal data, redacted wherever they appear. A
 * route that takes one in its query adds its name here.
 */
export const SECRET_QUERY_PARAMETERS: ReadonlySet<string> = new Set([
  'token',
  'code', // OAuth authorization codes (RFC 6749 §4.1.2)
  'state', // OAuth state binds the browser's flow (RFC 6749 §10.12)
  'device_code', // RFC 8628 §3.2: the poller's secret
  'user_code', // RFC 8628 §3.3: short, and approves a device
  'mfa_token',
  'access_token',
  'id_token',
  'refresh_token',
  'client_secret',
  'code_verifier', // RFC 7636: the PKCE secret
  'id_token_hint', // OIDC Core §3.1.2.1
  'request', // OIDC Core §6.1: a request object
  'client_assertion', // RFC 7523
  'assertion',
  'logout_token',
  'password',
  'q', // the admin user search: an email address
  'email',
]);

/**
 * Pylon's own secret formats (sessions, app tokens, invites, API keys) and any JWT (a JOSE header
 * is base64url JSON, so it starts `eyJ`), redacted wherever they still turn up. An API key
 * (`pk.key_<id>.<secret>`) sent in a query is refused (the API-key resolver: keys belong in the
 * Authorization header), and its request is still logged: anything shaped like one, well-formed
 * or not, under any parameter name, is redacted.
 */
const SECRET_SHAPES =
  /\b(?:(?:pylon|pyat|pyinv)_[A-Za-z0-9_-]+(?:\.[A-Za-z0-9]+)?|pk\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)*|eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)+)/g;

const compiled = SECRET_PATH_TEMPLATES.map((template) => template.split('/').filter(Boolean));

/** The path with every secret segment (per SECRET_PATH_TEMPLATES, or shaped like our tokens) replaced. */
export function redactPath(path: string): string {
  const segments = path.split('/');
  for (const template of compiled) {
    for (let start = 0; start + template.length <= segments.length; start++) {
      const fits = template.every(
        (part, i) => segments[start + i] !== '' && (part === '*' || part === segments[start + i]),
      );
      if (!fits) continue;
      template.forEach((part, i) => {
        if (part === '*') segments[start + i] = REDACTED;
      });
    }
  }
  return segments.join('/').replace(SECRET_SHAPES, REDACTED);
}

/** Percent-encoding, but keeping `/` and the redaction marker legible. */
const readable = (value: string) =>
  encodeURIComponent(value).replace(/%2F/gi, '/').replace(/%5B/gi, '[').replace(/%5D/gi, ']');

/**
 * The query string with secret parameters' values replaced, and the rest redacted as targets:
 * a value holding a path and its own query (`return_to=/o/acme/device?user_code=…`,
 * `return_to=/oauth/authorize?…&state=…`) has both redacted as the request's own are; '' without
 * a query.
 */
export function redactQuery(search: string): string {
  const params = new URLSearchParams(search);
  const out: string[] = [];
  for (const [name, value] of params) {
    const shown = SECRET_QUERY_PARAMETERS.has(name.toLowerCase()) ? REDACTED : redactTarget(value);
    out.push(`${readable(name)}=${shown === REDACTED ? REDACTED : readable(shown)}`);
  }
  return out.length === 0 ? '' : `?${out.join('&')}`;
}

/** A path with an optional query, both redacted (the query's values as targets in turn). */
function redactTarget(target: string): string {
  const at = target.indexOf('?');
  return at === -1 ? redactPath(target) : redactPath(target.slice(0, at)) + redactQuery(target.slice(at));
}

/** The logged path and query of a request, secrets redacted; `url` may be absolute or a path. */
export function loggedTarget(path: string, url: string): { path: string; query?: string } {
  // Most requests have no query: skip parsing the URL for them.
  const query = url.includes('?') ? redactQuery(new URL(url, 'http://localhost').search) : '';
  return { path: redactPath(path), ...(query ? { query } : {}) };
}

/**
 * One structured line per request: the path and query with their secrets redacted (invite
 * tokens, device and OAuth codes; see the tables above), never a header, so no token reaches the
 * log.
 */
export function accessLog(logger: Logger, clock: Clock): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // Below `info` (PYLON_LOG_LEVEL=warn) the line is never written: skip building it.
    if (!logger.isLevelEnabled('info')) return next();
    const started = clock.now();
    await next();
    logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        ...loggedTarget(c.req.path, c.req.url),
        status: c.res.status,
        ms: clock.now() - started,
      },
      'request',
    );
  };
}
