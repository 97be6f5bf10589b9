import { PylonError } from '@pylon/core';
import {
  MFARequiredResponse,
  PasskeyList,
  PasskeyLoginOptionsRequest,
  PasskeyLoginVerifyRequest,
  PasskeyOptionsResponse,
  PasskeyRegisterVerifyRequest,
  PasskeyRemovedResponse,
  PasskeyRenameRequest,
  PasskeySummary,
  SignInResponse,
} from '@pylon/core/wire';
import { z } from 'zod';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import {
  clearFlowCookie,
  createFlowBinding,
  readFlowCookie,
  setFlowCookie,
} from '../../http/flow-binding.js';
import { defineRoute } from '../../http/route-table.js';
import { sha256Base64URL } from '../../platform/node-crypto.js';
import { answerSignIn, clientIP, requestFacts, requireSession } from '../identity/route-helpers.js';
import { CHALLENGE_TTL_SECONDS } from './ceremony.js';
import type { Passkey } from './passkey-store.js';
import {
  finishRegistration,
  finishSignIn,
  type Passkeys,
  removePasskey,
  startRegistration,
  startSignIn,
} from './passkeys.js';

const FLOW = 'passkey';
const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

function describePasskey(passkey: Passkey) {
  return {
    id: passkey.id,
    name: passkey.name,
    transports: passkey.transports,
    created_at: seconds(passkey.createdAt)!,
    last_used_at: seconds(passkey.lastUsedAt),
  };
}

export function passkeyRoutes(passkeys: Passkeys) {
  const { services } = passkeys.identity;
  const { config } = services;
  /** What the sign-in challenge is bound to: the hash of the browser's flow cookie. */
  const browserBinding = (c: AppContext): string | null => {
    const binding = readFlowCookie(c, config, FLOW);
    return binding === undefined || binding.length === 0 || binding.length > 128
      ? null
      : sha256Base64URL(binding);
  };
  const audit = (
    c: AppContext,
    action: string,
    userId: string,
    passkeyId: string,
    detail: Record<string, unknown>,
  ) =>
    appendAudit(services.storage.db, services.clock.now(), {
      org: DEPLOYMENT_AUDIT,
      action,
      actor: userId,
      target: passkeyId,
      detail: { passkey_id: passkeyId, ...detail },
      ip: clientIP(c, services),
      requestId: c.get('requestId'),
    });

  return [
    defineRoute({
      method: 'post',
      path: '/passkeys/register/options',
      summary: 'Start registering a passkey for the signed-in user (WebAuthn creation options)',
      tags: ['passkeys'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: {
          description: 'Creation options; the challenge is bound to this session',
          schema: PasskeyOptionsResponse,
        },
        401: { description: 'UNAUTHORIZED' },
        403: {
          description: 'API_KEY_AUTH_FORBIDDEN; REAUTH_REQUIRED: the sign-in is older than 5 minutes',
        },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        return c.json({ options: await startRegistration(passkeys, auth) });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/passkeys/register/verify',
      summary: 'Finish registering a passkey: verify the authenticator’s attestation and keep the credential',
      tags: ['passkeys'],
      security: ['session', 'sessionCookie'],
      body: PasskeyRegisterVerifyRequest,
      responses: {
        201: { description: 'Registered', schema: PasskeySummary },
        400: {
          description:
            'PASSKEY_CHALLENGE_EXPIRED (unknown, expired, used, or another session’s) or INVALID_PASSKEY_REGISTRATION (origin, RP ID, user verification or signature refused)',
        },
        401: { description: 'UNAUTHORIZED' },
        403: { description: 'API_KEY_AUTH_FORBIDDEN' },
        409: { description: 'PASSKEY_ALREADY_REGISTERED' },
      },
      handler: async (c, { body }) => {
        const auth = await requireSession(c, services);
        const facts = { ip: clientIP(c, services), requestId: c.get('requestId') };
        return c.json(describePasskey(await finishRegistration(passkeys, auth, body, facts)), 201);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/passkeys/login/options',
      summary: 'Start a passkey sign-in (WebAuthn request options); discoverable without an email',
      tags: ['passkeys'],
      body: PasskeyLoginOptionsRequest,
      responses: {
        200: {
          description: 'Request options; the challenge is bound to this browser by a short-lived cookie',
          schema: PasskeyOptionsResponse,
        },
        400: { description: 'MISSING_EMAIL or INVALID_EMAIL' },
      },
      handler: async (c, { body }) => {
        const { binding, state } = createFlowBinding(services.random);
        const options = await startSignIn(passkeys, { email: body.email, boundTo: state });
        setFlowCookie(c, config, FLOW, binding, CHALLENGE_TTL_SECONDS);
        return c.json({ options });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/passkeys/login/verify',
      summary: 'Sign in with a passkey assertion; no TOTP challenge follows (user verification is required)',
      tags: ['passkeys'],
      body: PasskeyLoginVerifyRequest,
      responses: {
        200: { description: 'Signed in', schema: z.union([SignInResponse, MFARequiredResponse]) },
        400: {
          description:
            'PASSKEY_CHALLENGE_EXPIRED: the challenge is unknown, expired, already used (a replay) or from another browser',
        },
        401: {
          description:
            'INVALID_PASSKEY: unknown credential, wrong origin or RP ID, no user verification, bad signature, or a counter that did not rise',
        },
        403: { description: 'FORBIDDEN (the account is disabled)' },
        429: { description: 'RATE_LIMITED: sign-ins per IP (PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE)' },
      },
      handler: async (c, { body }) => {
        const boundTo = browserBinding(c);
        clearFlowCookie(c, config, FLOW);
        const outcome = await finishSignIn(passkeys, await requestFacts(c, services), {
          credential: body.credential,
          boundTo,
        });
        return c.json(answerSignIn(c, services, outcome));
      },
    }),
    defineRoute({
      method: 'get',
      path: '/passkeys',
      summary: "The caller's passkeys (never the public key or credential id)",
      tags: ['passkeys'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'Passkeys, oldest first', schema: PasskeyList },
        401: { description: 'UNAUTHORIZED' },
        403: { description: 'API_KEY_AUTH_FORBIDDEN' },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        return c.json((await passkeys.store.listOf(auth.userId)).map(describePasskey));
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/passkeys/:id',
      summary: 'Rename one of the caller’s passkeys',
      tags: ['passkeys'],
      security: ['session', 'sessionCookie'],
      body: PasskeyRenameRequest,
      responses: {
        200: { description: 'Renamed', schema: PasskeySummary },
        401: { description: 'UNAUTHORIZED' },
        403: { description: 'API_KEY_AUTH_FORBIDDEN' },
        404: { description: "PASSKEY_NOT_FOUND (also for another user's passkey)" },
      },
      handler: async (c, { body }) => {
        const auth = await requireSession(c, services);
        const id = c.req.param('id') ?? '';
        const renamed = await passkeys.store.rename(auth.userId, id, body.name);
        if (renamed === null) throw new PylonError('PASSKEY_NOT_FOUND');
        await audit(c, 'passkey.renamed', auth.userId, id, { name: renamed.name });
        return c.json(describePasskey(renamed));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/passkeys/:id',
      summary: 'Revoke one of the caller’s passkeys; it stops working at once',
      tags: ['passkeys'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'Removed', schema: PasskeyRemovedResponse },
        401: { description: 'UNAUTHORIZED' },
        403: { description: 'API_KEY_AUTH_FORBIDDEN' },
        404: { description: "PASSKEY_NOT_FOUND (also for another user's passkey)" },
        409: {
          description:
            'LAST_SIGN_IN_METHOD: no password, verified address, linked identity or other passkey would remain',
        },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        const id = c.req.param('id') ?? '';
        const facts = { ip: clientIP(c, services), requestId: c.get('requestId') };
        await removePasskey(passkeys.identity, passkeys.store, facts, { userId: auth.userId, id });
        return c.json({ id, removed: true as const });
      },
    }),
  ];
}
