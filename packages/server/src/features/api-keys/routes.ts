import {
  APIKeyList,
  CreateAPIKeyRequest,
  CreateAPIKeyResponse,
  RevokeAPIKeyResponse,
} from '@pylon/core/wire';
import type { AppContext } from '../../http/context.js';
import { defineRoute } from '../../http/route-table.js';
import type { Identity } from '../identity/identity.js';
import { clientIP, requireSession } from '../identity/route-helpers.js';
import { createAPIKey, revokeAPIKey } from './api-key-actions.js';
import type { APIKey, APIKeyStore } from './api-key-store.js';

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

export function describeKey(key: APIKey) {
  return {
    id: key.id,
    prefix: `pk.${key.id}`,
    name: key.name,
    scopes: key.scopes,
    expires_at: seconds(key.expiresAt),
    created_at: seconds(key.createdAt),
    last_used_at: seconds(key.lastUsedAt),
  };
}

export function apiKeyRoutes(identity: Identity, keys: APIKeyStore) {
  const { services } = identity;
  const facts = (c: AppContext) => ({ ip: clientIP(c, services), requestId: c.get('requestId') });

  return [
    defineRoute({
      method: 'post',
      path: '/api-keys',
      summary: 'Create an API key acting as the caller, limited to its scopes; the key is shown once',
      tags: ['api-keys'],
      security: ['session', 'sessionCookie'],
      body: CreateAPIKeyRequest,
      responses: {
        201: { description: 'Created: `key` appears only in this answer', schema: CreateAPIKeyResponse },
        400: { description: 'VALIDATION_FAILED (expires_at in the past)' },
        401: { description: 'UNAUTHORIZED' },
        403: {
          description:
            'API_KEY_AUTH_FORBIDDEN: keys cannot make keys; REAUTH_REQUIRED: the sign-in is older than 5 minutes',
        },
      },
      handler: async (c, { body }) => {
        const auth = await requireSession(c, services);
        const created = await createAPIKey(identity, keys, facts(c), {
          userId: auth.userId,
          sessionId: auth.sessionId,
          name: body.name ?? null,
          scopes: body.scopes ?? [],
          expiresAt: body.expires_at === undefined ? null : body.expires_at * 1000,
        });
        const { last_used_at: _unused, ...shown } = describeKey(created.record);
        return c.json({ key: created.key, ...shown }, 201);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api-keys',
      summary: "The caller's API keys (never the secret)",
      tags: ['api-keys'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'Keys', schema: APIKeyList },
        401: { description: 'UNAUTHORIZED' },
        403: { description: 'API_KEY_AUTH_FORBIDDEN' },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        return c.json((await keys.list(auth.userId)).map(describeKey));
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/api-keys/:id',
      summary: 'Revoke one of the caller’s API keys; it stops working at once',
      tags: ['api-keys'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'Revoked', schema: RevokeAPIKeyResponse },
        404: { description: "API_KEY_NOT_FOUND (also for another user's key)" },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        const id = c.req.param('id') ?? '';
        await revokeAPIKey(services, keys, facts(c), { userId: auth.userId, id });
        return c.json({ id, revoked: true as const });
      },
    }),
  ];
}
