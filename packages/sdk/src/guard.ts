import { type HeadersLike, readBearer } from './bearer.js';
import { qualifyCapability } from './capability.js';
import type { PylonClient } from './client.js';
import {
  KeySetUnavailableError,
  OrgDiscoveryError,
  PylonSDKError,
  TokenInvalidError,
  type TokenKind,
  tokenKind,
} from './errors.js';
import { bearerChallenge, protectedResourceMetadataURL } from './resource-server.js';
import type { Actor } from './types.js';

/** What a guard refuses with (docs/SDK.md "Guard"). The message never says why a token failed. */
export interface GuardFailure {
  status: 401 | 403 | 503;
  code: 'no_session' | 'token_invalid' | 'insufficient_capability' | 'key_set_unavailable';
  message: string;
}

export interface PylonGuardOptions {
  /** Bare (`notes.read`) or namespaced; without it any valid token of this app passes. */
  requiredCapability?: string;
  /** The response body (HTTP) or tool result text (MCP) for a refusal; default `{error, message}`. */
  formatError?: (failure: GuardFailure) => unknown;
  /**
   * Where MCP tool calls get their actor: `bearer` (default) from the HTTP request's token;
   * `session` from a token the client mints with its own session, for a stdio server run by
   * one person. Never use `session` on a server that many people reach over HTTP.
   */
  identity?: 'bearer' | 'session';
}

/** The part of a Hono `Context` the guard uses; a Hono app passes its context as is. */
export interface HonoContextLike {
  req: { raw: Request };
  set(key: 'pylonActor', value: Actor): void;
}

/** Node `http` / Express request and response, structurally. */
export interface NodeRequestLike {
  headers: HeadersLike;
  pylonActor?: Actor;
  /** The MCP SDK's `StreamableHTTPServerTransport` hands `req.auth` to tool handlers as `authInfo`. */
  auth?: unknown;
}
export interface NodeResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/** The `extra` an MCP SDK tool handler receives, structurally. */
export interface ToolExtraLike {
  authInfo?: { token: string } | undefined;
  requestInfo?: { headers: HeadersLike } | undefined;
}

/** A refused tool call, as MCP reports tool errors: a result with `isError` (not a protocol error). */
export interface ToolErrorResult {
  [key: string]: unknown;
  content: [{ type: 'text'; text: string }];
  isError: true;
}

export interface PylonGuard {
  hono(c: HonoContextLike, next: () => Promise<void>): Promise<Response | undefined>;
  node(req: NodeRequestLike, res: NodeResponseLike, next: (error?: unknown) => void): void;
  tool<Args, Extra extends ToolExtraLike, Result>(
    handler: (args: Args, extra: Extra, actor: Actor) => Result | Promise<Result>,
  ): (args: Args, extra: Extra) => Promise<Result | ToolErrorResult>;
}

type Decision = { actor: Actor; token: string; failure?: undefined } | { failure: GuardFailure };

/** The refusals that are the same for every request, naming the kind of token the client takes. */
function failuresFor(kind: TokenKind) {
  return {
    no_session: { status: 401, code: 'no_session', message: `A Pylon ${kind} is required` },
    token_invalid: { status: 401, code: 'token_invalid', message: `The Pylon ${kind} is not valid` },
    key_set_unavailable: {
      status: 503,
      code: 'key_set_unavailable',
      message: 'Tokens cannot be verified right now',
    },
  } as const satisfies Record<string, GuardFailure>;
}

// RFC 6750 §3: the challenge says what kind of failure, never which check failed; §3.1: a request
// without a token gets no error code.
const CHALLENGE_ERRORS = {
  no_session: undefined,
  token_invalid: 'invalid_token',
  insufficient_capability: 'insufficient_scope',
} as const;

/**
 * Middleware factory (the model is Hono's `bearerAuth`): options are checked once, then one
 * decision (token → actor → capability) is rendered three ways.
 */
export function pylonGuard(client: PylonClient, options: PylonGuardOptions = {}): PylonGuard {
  const { requiredCapability, identity = 'bearer' } = options;
  if (
    requiredCapability !== undefined &&
    (typeof requiredCapability !== 'string' || requiredCapability === '')
  ) {
    throw new TypeError('pylonGuard: requiredCapability must be a non-empty string');
  }
  // Another app's capability (`other:x`) would deny every request: said once, here.
  if (requiredCapability !== undefined) qualifyCapability(requiredCapability, client.appId);
  const formatError =
    options.formatError ?? ((failure) => ({ error: failure.code, message: failure.message }));
  // RFC 9728 §5.1: a resource server names its metadata in the challenge, so an OAuth client (an
  // MCP client) finds Pylon from a 401 alone.
  const resourceMetadata =
    client.resource === undefined ? undefined : protectedResourceMetadataURL(client.resource);
  const failures = failuresFor(tokenKind(client.resource));

  async function decide(token: string | undefined): Promise<Decision> {
    if (token === undefined) return { failure: failures.no_session };
    let actor: Actor;
    try {
      actor = await client.verify(token);
    } catch (error) {
      if (error instanceof TokenInvalidError) return { failure: failures.token_invalid };
      // Discovery failed (the detail went to onEvent and the logger): nothing can be verified.
      if (error instanceof KeySetUnavailableError || error instanceof OrgDiscoveryError) {
        return { failure: failures.key_set_unavailable };
      }
      throw error;
    }
    if (requiredCapability !== undefined && !client.hasCapability(actor, requiredCapability)) {
      return {
        failure: {
          status: 403,
          code: 'insufficient_capability',
          message: `This needs the capability ${requiredCapability}`,
        },
      };
    }
    return { actor, token };
  }

  function render(failure: GuardFailure): { headers: Record<string, string>; body: string } {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (failure.code !== 'key_set_unavailable') {
      headers['www-authenticate'] = bearerChallenge({
        realm: 'pylon',
        error: CHALLENGE_ERRORS[failure.code],
        resource_metadata: resourceMetadata,
      });
    }
    return { headers, body: JSON.stringify(formatError(failure)) };
  }

  async function decideTool(extra: ToolExtraLike): Promise<Decision> {
    if (identity === 'bearer') {
      return decide(extra.authInfo?.token ?? (extra.requestInfo ? readBearer(extra.requestInfo) : undefined));
    }
    let token: string;
    try {
      token = await client.mintScopedToken();
    } catch (error) {
      // No usable session is "not signed in" to the person at the keyboard, who is told why (none
      // set, refused by Pylon, another org): the SDK's messages never carry a token.
      if (error instanceof PylonSDKError && (error.code === 'no_session' || error.code === 'org_mismatch')) {
        return { failure: { ...failures.no_session, message: error.message } };
      }
      throw error;
    }
    return decide(token);
  }

  return {
    async hono(c, next) {
      const decision = await decide(readBearer({ headers: c.req.raw.headers }));
      if (decision.failure) {
        const { headers, body } = render(decision.failure);
        return new Response(body, { status: decision.failure.status, headers });
      }
      c.set('pylonActor', decision.actor);
      await next();
      return undefined;
    },

    node(req, res, next) {
      decide(readBearer(req)).then(
        (decision) => {
          if (decision.failure) {
            const { headers, body } = render(decision.failure);
            res.statusCode = decision.failure.status;
            for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
            res.end(body);
            return;
          }
          req.pylonActor = decision.actor;
          const { actor } = decision;
          req.auth = {
            token: decision.token,
            // An access token's OAuth client, else the app (a scoped token has no other client).
            clientId: actor.client_id ?? actor.app,
            scopes: [...actor.caps],
            extra: { sub: actor.sub, org: actor.org },
            ...(client.resource === undefined || actor.client_id === undefined
              ? {}
              : { resource: new URL(client.resource) }),
          };
          next();
        },
        (error: unknown) => next(error),
      );
    },

    tool(handler) {
      return async (args, extra) => {
        const decision = await decideTool(extra);
        if (decision.failure) {
          return {
            content: [{ type: 'text', text: JSON.stringify(formatError(decision.failure)) }],
            isError: true,
          };
        }
        return handler(args, extra, decision.actor);
      };
    },
  };
}
