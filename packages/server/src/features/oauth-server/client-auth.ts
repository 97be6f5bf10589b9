import type { AppContext } from '../../http/context.js';
import { authenticates, type OAuthClient } from './clients.js';
import type { OAuthServerContext } from './context.js';
import { OAuthError } from './oauth-error.js';
import type { TokenParams } from './token-grant.js';

/** RFC 6749 §2.3.1: HTTP Basic with the form-encoded id and secret. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    return null;
  }
}

/**
 * The client calling the token or revocation endpoint: `client_secret_basic`, `client_secret_post`
 * or `none` (a public client names itself by `client_id` and proves nothing here; PKCE binds its
 * code). One method per request (RFC 6749 §2.3). Any failure is `invalid_client`.
 */
export async function authenticateClient(
  c: AppContext,
  context: OAuthServerContext,
  params: TokenParams,
): Promise<OAuthClient> {
  const basic = basicCredentials(c.req.header('authorization'));
  if (basic && params.client_secret !== undefined)
    throw new OAuthError('invalid_request', 'Use one client authentication method');
  if (basic && params.client_id !== undefined && params.client_id !== basic.id)
    throw new OAuthError('invalid_client', 'client_id does not match the authenticated client', 401);
  const clientId = basic?.id ?? params.client_id;
  const secret = basic?.secret ?? params.client_secret;
  if (!clientId) throw new OAuthError('invalid_client', 'client_id is required', 401);
  const found = await context.clients.find(c.get('orgId'), clientId);
  if (found.kind !== 'ok' || !authenticates(found.client, secret)) {
    throw new OAuthError('invalid_client', 'Client authentication failed', 401);
  }
  return found.client;
}
