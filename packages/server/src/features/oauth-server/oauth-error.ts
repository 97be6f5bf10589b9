import type { AppContext } from '../../http/context.js';

/**
 * An error answered in RFC 6749 §5.2's shape (`{error, error_description}`), with OAuth's own codes:
 * standard clients parse these, not Pylon's catalogue shape. The description never carries a token.
 */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status: 400 | 401 = 400,
  ) {
    super(description);
  }
}

export function oauthErrorResponse(c: AppContext, error: OAuthError): Response {
  c.header('Cache-Control', 'no-store');
  // RFC 6749 §5.2: a client that tried HTTP Basic is told which scheme to use.
  if (error.status === 401) c.header('WWW-Authenticate', 'Basic realm="pylon"');
  return c.json({ error: error.error, error_description: error.description }, error.status);
}

/** Run an OAuth endpoint's steps; an OAuthError thrown by any of them becomes its RFC 6749 answer. */
export async function answeringOAuthErrors(c: AppContext, steps: () => Promise<Response>): Promise<Response> {
  try {
    return await steps();
  } catch (error) {
    if (error instanceof OAuthError) return oauthErrorResponse(c, error);
    throw error;
  }
}
