import { isSlug, PylonError, SLUG_PATTERN } from '@pylon/core';
import { TokenRequest, TokenResponse, WhoamiResponse } from '@pylon/core/wire';
import { thenNow } from '../../awaitable.js';
import { DEFAULTS } from '../../config/defaults.js';
import { toBase64URL } from '../../crypto/random.js';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import { strongestPylonArchetype } from './builtin-schema.js';
import { type RBACCaller, rbacCallerOf } from './caller.js';
import type { CapabilityAnswer } from './capabilities.js';
import type { RBACContext } from './context.js';

export function tokenRoutes(context: RBACContext) {
  const { services } = context;
  /** The scoped token of a person's capabilities in an app: its claims, one signature. */
  function mint(
    caller: Extract<RBACCaller, { kind: 'person' }>,
    orgId: string,
    appId: string,
    answer: CapabilityAnswer,
    issuer: string,
  ) {
    if (answer.kind === 'unknown_app') throw new PylonError('invalid_app_id');
    if (answer.kind === 'disabled') throw new PylonError('app_disabled');
    // A token with no capabilities still passes a guard that asks for none: only someone with
    // standing in the app (a member of the org, or a grant in the app) gets one.
    if (answer.kind === 'outsider') throw new PylonError('not_a_member');
    const iat = Math.floor(services.clock.now() / 1000);
    const exp = iat + DEFAULTS.scopedTokenTTLSeconds;
    // Exactly the claims docs/API.md lists for `POST /token`, caps sorted, one signature.
    const caps =
      caller.scopes.length === 0 ? answer.caps : answer.caps.filter((cap) => caller.scopes.includes(cap));
    const token = services.keys.sign({
      // The api_url the client discovered at the host it called, so SDKs match it as the issuer.
      iss: issuer,
      aud: appId,
      sub: caller.email,
      org: orgId,
      app: appId,
      caps,
      iat,
      nbf: iat,
      exp,
      jti: toBase64URL(services.random.bytes(16)),
    });
    return thenNow(token, (scoped) => ({ scoped_token: scoped, ttl: 30 as const, expires_at: exp * 1000 }));
  }

  return [
    defineRoute({
      method: 'post',
      path: '/token',
      summary:
        "Exchange the caller's session for a 30-second scoped token listing their capabilities in an app",
      tags: ['rbac'],
      security: ['session'],
      body: handChecked(TokenRequest, ['app_id']),
      responses: {
        200: {
          description: 'A scoped token (EdDSA JWT)',
          schema: TokenResponse,
        },
        400: { description: 'invalid_app_id' },
        401: { description: 'no_session, expired or org_mismatch' },
        403: { description: 'app_disabled, or not_a_member (no membership of the org, no grant in the app)' },
      },
      // Every step answers at once when it can (awaitable.ts): after the body, no promise on SQLite.
      answer: ({ body, orgId, auth, apiURL }) => {
        const appId = body.app_id;
        if (typeof appId !== 'string' || appId === '')
          throw new PylonError('invalid_app_id', { message: 'app_id is required' });
        if (!isSlug(appId))
          throw new PylonError('invalid_app_id', {
            message: `app_id must be a slug: ${SLUG_PATTERN.source}`,
          });
        return thenNow(auth(), (resolved) => {
          const caller = rbacCallerOf(resolved, orgId);
          if (caller.kind === 'admin')
            throw new PylonError('no_session', {
              message: 'Scoped tokens are minted for a person’s session',
            });
          const answer = context.capabilities.resolve(orgId, appId, {
            email: caller.email,
            userId: caller.userId,
            capabilityVersion: caller.capabilityVersion,
          });
          return thenNow(answer, (held) => mint(caller, orgId, appId, held, apiURL()));
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/whoami',
      summary: "The caller's email, org, archetype in the pylon app and session expiry",
      tags: ['rbac'],
      security: ['session'],
      responses: {
        200: {
          description: 'Who the session is',
          schema: WhoamiResponse,
        },
        401: { description: 'no_session, expired or org_mismatch' },
      },
      answer: ({ orgId, auth }) =>
        thenNow(auth(), (resolved) => {
          const caller = rbacCallerOf(resolved, orgId);
          if (caller.kind === 'admin')
            throw new PylonError('no_session', { message: 'whoami describes a person’s session' });
          const held = context.capabilities.pylonArchetypes(orgId, {
            email: caller.email,
            userId: caller.userId,
            capabilityVersion: caller.capabilityVersion,
          });
          return thenNow(held, (archetypes) => ({
            email: caller.email,
            org_id: orgId,
            archetype: strongestPylonArchetype(archetypes),
            session_expires_at: caller.sessionExpiresAt,
          }));
        }),
    }),
  ];
}
