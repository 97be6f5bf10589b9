import { pageBase } from '../../pages/page-context.js';
import type { ReturnDestination } from '../../pages/sign-in-step.js';
import { checkClient, queryParams } from './authorization-request.js';
import type { OAuthServerContext } from './context.js';

/**
 * Where a sign-in goes on to when its `return_to` is this org's authorisation endpoint (where the
 * endpoint sends a person to sign in first): the origin of the request's redirect URI, only when
 * its client registered that URI — the check the endpoint itself makes before redirecting there.
 */
export function authorizationDestination(context: OAuthServerContext): ReturnDestination {
  return async (c, returnPath) => {
    const url = new URL(returnPath, 'http://same.invalid');
    if (url.origin !== 'http://same.invalid' || url.pathname !== `${pageBase(c)}/oauth/authorize`)
      return null;
    const target = await checkClient(context, c.get('orgId'), queryParams(url.searchParams));
    return target.kind === 'ok' ? new URL(target.redirectURI).origin : null;
  };
}
