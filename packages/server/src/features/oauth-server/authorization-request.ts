import { z } from 'zod';
import { checkResourceURL } from '../rbac/app-resource.js';
import type { OAuthClient } from './clients.js';
import type { OAuthServerContext } from './context.js';
import { checkCodeChallenge } from './pkce.js';
import { redirectURIMatches } from './redirect-uri.js';
import { grantedScope } from './scopes.js';

/** The authorisation request's parameters (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 8707 §2.1, OIDC §3.1.2.1). */
export interface AuthorizationParams {
  response_type?: string;
  client_id?: string;
  redirect_uri?: string;
  scope?: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  resource?: string;
  nonce?: string;
  prompt?: string;
  max_age?: string;
  /**
   * Pylon's own: set when it sends the browser to sign in again (prompt=login, max_age exceeded),
   * so the request it comes back with needs an authentication at or after this time (seconds).
   */
  pylon_auth_after?: string;
}

const text = (max: number) => z.string().max(max).optional();
/**
 * Each parameter and the longest value it may have. The authorisation endpoint checks them itself
 * (checkAuthorization), after the client and its redirect URI, so that a value over its limit
 * goes back to the client as `invalid_request` (RFC 6749 §4.1.2.1); the schema is also the
 * endpoint's OpenAPI description.
 */
export const AuthorizationQuery = z.object({
  response_type: text(64),
  client_id: text(2048),
  redirect_uri: text(2048),
  scope: text(1000),
  state: text(1024),
  code_challenge: text(128),
  code_challenge_method: text(16),
  resource: text(2048),
  nonce: text(512),
  prompt: text(64),
  max_age: text(16),
  pylon_auth_after: text(16),
}) satisfies z.ZodType<AuthorizationParams>;

/** OIDC Core §3.1.2.1 `prompt` values this server honours (`select_account` has no meaning here). */
export const PROMPT_VALUES = ['none', 'login', 'consent'] as const;

export interface AuthorizationRequest {
  client: OAuthClient;
  redirectURI: string;
  scope: string;
  state: string | null;
  codeChallenge: string;
  nonce: string | null;
  /** The app the resource names, when the client asked for one. */
  app: { id: string; name: string; resource: string } | null;
  prompts: ReadonlySet<string>;
  /** OIDC Core §3.1.2.1 `max_age`: the longest time since the person last signed in, in seconds. */
  maxAge: number | null;
  /** See AuthorizationParams.pylon_auth_after. */
  authAfter: number | null;
}

export type CheckedAuthorization =
  /** `params`: the request's own parameters, one value each, to carry through sign-in and consent. */
  | { kind: 'ok'; request: AuthorizationRequest; params: AuthorizationParams }
  /** No trustworthy redirect URI: the error is shown on our own page (RFC 6749 §4.1.2.1). */
  | { kind: 'page'; message: string }
  /** The client and redirect URI are known: the error goes back to the client. */
  | { kind: 'redirect'; redirectURI: string; state: string | null; error: string; description: string };

/** A request's parameters as sent: each name's values, in order (a query may repeat a name). */
export type RawParams = Readonly<Record<string, readonly string[] | undefined>>;

/** A query's parameters, every value of each name. */
export function queryParams(search: URLSearchParams): RawParams {
  return Object.fromEntries([...new Set(search.keys())].map((name) => [name, search.getAll(name)]));
}

/** One value per parameter, as a form the server rendered itself posts them. */
export function rawParams(params: Readonly<Record<string, string | undefined>>): RawParams {
  return Object.fromEntries(
    Object.entries(params).flatMap(([name, value]) => (value === undefined ? [] : [[name, [value]]])),
  );
}

export type CheckedClient =
  | { kind: 'ok'; client: OAuthClient; redirectURI: string }
  | { kind: 'page'; message: string };

/**
 * The first checks of an authorisation request (RFC 6749 §4.1.2.1): the client it names and a
 * redirect URI that client registered, each sent once. Until both hold, nothing may be sent to the
 * redirect URI; once they do, it is where every answer goes.
 */
export async function checkClient(
  context: OAuthServerContext,
  orgId: string,
  params: RawParams,
): Promise<CheckedClient> {
  const clientIds = params.client_id ?? [];
  if (clientIds.length === 0 || clientIds[0] === '')
    return { kind: 'page', message: 'The request names no client (client_id).' };
  if (clientIds.length > 1) return { kind: 'page', message: 'The request names more than one client.' };
  const found = await context.clients.find(orgId, clientIds[0]!);
  if (found.kind === 'unknown') return { kind: 'page', message: 'This application is not known here.' };
  if (found.kind === 'refused')
    return { kind: 'page', message: `This application was refused: ${found.reason}.` };
  const uris = params.redirect_uri ?? [];
  if (uris.length > 1) return { kind: 'page', message: 'The request names more than one redirect URI.' };
  const redirectURI = uris[0];
  if (redirectURI === undefined || !redirectURIMatches(found.client.redirectURIs, redirectURI))
    return { kind: 'page', message: 'The redirect URI is not one this application registered.' };
  return { kind: 'ok', client: found.client, redirectURI };
}

/**
 * RFC 6749 §3.1: no parameter sent more than once, and (Pylon's limits) none longer than its
 * schema allows. Unknown parameters are ignored, as §3.1 asks. The values, or the first problem.
 */
function singleValues(raw: RawParams): { params: AuthorizationParams } | { problem: string } {
  const params: Record<string, string> = {};
  for (const [name, schema] of Object.entries(AuthorizationQuery.shape)) {
    const values = raw[name] ?? [];
    if (values.length === 0) continue;
    if (values.length > 1) return { problem: `${name} is sent more than once` };
    const checked = schema.safeParse(values[0]);
    if (!checked.success)
      return { problem: `${name} is longer than ${schema.unwrap().maxLength} characters` };
    params[name] = values[0]!;
  }
  return { params };
}

/**
 * The authorisation request's checks, in order; the first that fails decides the answer. Until the
 * client and its redirect URI are confirmed, errors are shown here and never sent anywhere; after,
 * they go back to that redirect URI, with `state` only when it is itself acceptable.
 */
export async function checkAuthorization(
  context: OAuthServerContext,
  orgId: string,
  raw: RawParams,
): Promise<CheckedAuthorization> {
  const target = await checkClient(context, orgId, raw);
  if (target.kind === 'page') return target;
  const { client, redirectURI } = target;
  const states = raw.state ?? [];
  const state =
    states.length === 1 && AuthorizationQuery.shape.state.safeParse(states[0]).success ? states[0]! : null;
  const fail = (error: string, description: string): CheckedAuthorization => ({
    kind: 'redirect',
    redirectURI,
    state,
    error,
    description,
  });
  // OIDC Core §6.1: a provider that does not take request objects says so, by their own codes.
  if (raw.request !== undefined)
    return fail('request_not_supported', 'The request parameter is not supported');
  if (raw.request_uri !== undefined)
    return fail('request_uri_not_supported', 'The request_uri parameter is not supported');
  const single = singleValues(raw);
  if ('problem' in single) return fail('invalid_request', single.problem);
  const { params } = single;
  if (params.response_type !== 'code')
    return fail('unsupported_response_type', 'Only response_type=code is supported');
  const pkce = checkCodeChallenge(params.code_challenge, params.code_challenge_method);
  if (pkce !== null) return fail('invalid_request', pkce);
  const prompts = new Set((params.prompt ?? '').split(' ').filter((value) => value !== ''));
  if ([...prompts].some((value) => !(PROMPT_VALUES as readonly string[]).includes(value)))
    return fail('invalid_request', `prompt takes ${PROMPT_VALUES.join(', ')}`);
  if (prompts.has('none') && prompts.size > 1)
    return fail('invalid_request', 'prompt=none cannot be combined with another value');
  const seconds = (value: string | undefined) =>
    value === undefined ? null : /^\d{1,12}$/.test(value) ? Number(value) : Number.NaN;
  const maxAge = seconds(params.max_age);
  if (Number.isNaN(maxAge)) return fail('invalid_request', 'max_age is a whole number of seconds');
  const authAfter = seconds(params.pylon_auth_after);
  if (Number.isNaN(authAfter)) return fail('invalid_request', 'pylon_auth_after is a time in seconds');
  let app: AuthorizationRequest['app'] = null;
  if (params.resource !== undefined) {
    const resolved = await appForResource(context, orgId, params.resource);
    if (!resolved) return fail('invalid_target', 'resource is not an MCP server registered in this org');
    app = resolved;
  }
  return {
    kind: 'ok',
    params,
    request: {
      client,
      redirectURI,
      scope: grantedScope(params.scope),
      state,
      codeChallenge: params.code_challenge!,
      nonce: params.nonce ?? null,
      app,
      prompts,
      maxAge,
      authAfter,
    },
  };
}

/** RFC 8707: the active app of this org registered for exactly this resource URL, if any. */
export async function appForResource(
  context: OAuthServerContext,
  orgId: string,
  resource: string,
): Promise<{ id: string; name: string; resource: string } | null> {
  let normalised: string;
  try {
    normalised = checkResourceURL(resource, context.services.config.env);
  } catch {
    return null;
  }
  const app = await context.apps.findByResource(orgId, normalised);
  if (!app || app.status !== 'active' || app.resource === null) return null;
  return { id: app.id, name: app.name, resource: app.resource };
}
