import type { PylonClient } from './client.js';

/** RFC 9728 §2: what this server says about itself, pointing OAuth clients at Pylon. */
export interface ProtectedResourceMetadata {
  resource: string;
  /** The org's issuer (its `api_url`), whose RFC 8414 metadata names every Pylon endpoint. */
  authorization_servers: [string];
  bearer_methods_supported: ['header'];
  scopes_supported?: string[];
  resource_name?: string;
  resource_documentation?: string;
}

export interface ResourceMetadataOptions {
  /** RFC 9728 `scopes_supported`; MCP clients request these when no challenge names a scope. */
  scopesSupported?: string[];
  resourceName?: string;
  resourceDocumentation?: string;
}

/** The parameters of an RFC 6750 §3 `Bearer` challenge, plus RFC 9728 §5.1 `resource_metadata`. */
export interface BearerChallenge {
  realm?: string;
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  error_description?: string;
  scope?: string;
  resource_metadata?: string;
}

/**
 * RFC 9728 §3.1: the metadata of `https://host/mcp` is at
 * `https://host/.well-known/oauth-protected-resource/mcp` (the well-known segment goes between the
 * host and the path; a terminating slash is dropped), which is where MCP clients look first.
 */
export function protectedResourceMetadataURL(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/oauth-protected-resource${path}${url.search}`;
}

/**
 * RFC 6750 §3: what `error`, `error_description` and `scope` may hold — printable ASCII but `"`
 * and `\` (`scope`'s tokens the same, separated by spaces).
 */
const NOT_IN_RFC6750_VALUE = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;
/** RFC 9110 §5.6.4: a quoted string's text, kept to printable ASCII (no control character). */
const NOT_IN_QUOTED_TEXT = /[^\x20-\x7E]/g;
const RFC6750_PARAMETERS = new Set(['error', 'error_description', 'scope']);
/** RFC 9110 §5.6.2: a parameter's name is a token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A parameter's value as its grammar allows it: what it may not hold is dropped, never sent. */
function challengeValue(name: string, value: string): string {
  if (RFC6750_PARAMETERS.has(name)) return value.replace(NOT_IN_RFC6750_VALUE, '');
  return value.replace(NOT_IN_QUOTED_TEXT, '').replace(/[\\"]/g, '\\$&');
}

/**
 * `WWW-Authenticate` value. Each parameter keeps only the characters its grammar allows, so text
 * from elsewhere (a line break above all, which would start another header) cannot get into the
 * header: `error`, `error_description` and `scope` those of RFC 6750 §3, the others a quoted
 * string's printable ASCII with `"` and `\` escaped (RFC 9110 §5.6.4). Empty parameters, those
 * with nothing left, and any whose name is not a token (from a JavaScript caller) are left out.
 */
export function bearerChallenge(parameters: BearerChallenge): string {
  const pairs = Object.entries(parameters)
    .map(([name, value]) => [name, typeof value === 'string' ? challengeValue(name, value) : ''] as const)
    .filter(([name, value]) => value !== '' && TOKEN.test(name))
    .map(([name, value]) => `${name}="${value}"`);
  return pairs.length === 0 ? 'Bearer' : `Bearer ${pairs.join(', ')}`;
}

export interface PylonResourceMetadata {
  /** Where to serve it on this server: `/.well-known/oauth-protected-resource{resource path}`. */
  readonly path: string;
  /** The absolute URL, as the guard's `resource_metadata` challenge names it. */
  readonly url: string;
  /** The document; asks Pylon's `/discover` once (for the issuer), like verification does. */
  document(): Promise<ProtectedResourceMetadata>;
  /** A handler for Hono (`app.get(metadata.path, metadata.hono)`) or any fetch-style server. */
  hono(c?: unknown): Promise<Response>;
  /** A handler for Node `http` / Express. */
  node(
    req: unknown,
    res: { statusCode: number; setHeader(name: string, value: string): unknown; end(body: string): unknown },
  ): Promise<void>;
}

/**
 * Serves the RFC 9728 protected-resource metadata of a client made with `resource`: the MCP
 * client reads it from the guard's 401 challenge, then finds Pylon's authorization server from
 * `authorization_servers`. Public and cacheable, so any origin may read it (an MCP client in a
 * browser does).
 */
export function pylonResourceMetadata(
  client: PylonClient,
  options: ResourceMetadataOptions = {},
): PylonResourceMetadata {
  const { resource } = client;
  if (resource === undefined) {
    throw new TypeError('pylonResourceMetadata: make the client with resource (this server’s URL)');
  }
  const url = protectedResourceMetadataURL(resource);
  const headers = {
    'content-type': 'application/json',
    'cache-control': 'public, max-age=300',
    'access-control-allow-origin': '*',
  };
  async function document(): Promise<ProtectedResourceMetadata> {
    const { api_url } = await client.discover();
    return {
      resource: resource as string,
      authorization_servers: [api_url],
      bearer_methods_supported: ['header'],
      ...(options.scopesSupported ? { scopes_supported: [...options.scopesSupported] } : {}),
      ...(options.resourceName ? { resource_name: options.resourceName } : {}),
      ...(options.resourceDocumentation ? { resource_documentation: options.resourceDocumentation } : {}),
    };
  }
  // Without the issuer there is nothing to point at: 503, as the guard answers then.
  const body = () =>
    document().then(
      (doc) => ({ status: 200, text: JSON.stringify(doc) }),
      () => ({ status: 503, text: JSON.stringify({ error: 'org_discovery_failed' }) }),
    );
  return {
    path: new URL(url).pathname,
    url,
    document,
    async hono() {
      const { status, text } = await body();
      return new Response(text, { status, headers });
    },
    async node(_req, res) {
      const { status, text } = await body();
      res.statusCode = status;
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      res.end(text);
    },
  };
}
