import { PylonError } from '@pylon/core';
import {
  CreateOAuthClientRequest,
  CreateOAuthClientResponse,
  DeleteOAuthClientResponse,
  DynamicClientRegistrationRequest,
  OAuthClientList,
} from '@pylon/core/wire';
import { appendAudit } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import { ipBucket } from '../../rate-limit/ip-bucket.js';
import { clientIP } from '../identity/route-helpers.js';
import { PYLON_CAPABILITIES } from '../rbac/builtin-schema.js';
import { auditActor, requireCapability } from '../rbac/caller.js';
import type { RBACContext } from '../rbac/context.js';
import type { StoredClient } from './client-store.js';
import type { OAuthServerContext } from './context.js';
import { checkRedirectURI } from './redirect-uri.js';

function summary(client: StoredClient) {
  return {
    client_id: client.clientId,
    client_name: client.clientName,
    redirect_uris: client.redirectURIs,
    confidential: client.secretHash !== null,
    token_endpoint_auth_method:
      client.secretHash === null ? ('none' as const) : ('client_secret_basic' as const),
    id_token_signed_response_alg: client.idTokenAlg,
    registered_by: client.origin,
    created_at: client.createdAt,
  };
}

/** The first redirect URI refused, and why; null when all may be registered. */
function refusedRedirectURI(uris: readonly string[]): string | null {
  for (const uri of uris) {
    const checked = checkRedirectURI(uri);
    if (!checked.ok) return checked.reason;
  }
  return null;
}

/**
 * Pre-registered clients (org owners and admins: `pylon:app.manage`, as for apps), and RFC 7591
 * dynamic registration when PYLON_OAUTH_DYNAMIC_REGISTRATION=true.
 */
export function clientRoutes(context: OAuthServerContext, rbac: RBACContext) {
  const { services } = context;
  const audit = async (
    c: AppContext,
    action: string,
    actor: Parameters<typeof appendAudit>[2]['actor'],
    target: string,
    detail?: Record<string, unknown>,
  ) =>
    appendAudit(services.storage.db, services.clock.now(), {
      org: c.get('orgId'),
      action,
      actor,
      target,
      ...(detail ? { detail } : {}),
      requestId: c.get('requestId'),
    });

  return [
    defineRoute({
      method: 'get',
      path: '/oauth/clients',
      summary: "The org's pre-registered (and dynamically registered) OAuth clients",
      tags: ['oauth-server'],
      security: ['session', 'adminToken'],
      responses: {
        200: { description: 'Clients', schema: OAuthClientList },
        403: { description: 'insufficient_capability' },
      },
      handler: async (c) => {
        await requireCapability(c, rbac, PYLON_CAPABILITIES.appManage);
        return c.json({ clients: (await context.clientStore.list(c.get('orgId'))).map(summary) });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/oauth/clients',
      summary: 'Register an OAuth client; a confidential one gets a secret, shown once',
      tags: ['oauth-server'],
      security: ['session', 'adminToken'],
      body: CreateOAuthClientRequest,
      responses: {
        201: { description: 'Registered', schema: CreateOAuthClientResponse },
        400: { description: 'invalid_redirect_uri' },
        403: { description: 'insufficient_capability' },
      },
      handler: async (c, { body }) => {
        const caller = await requireCapability(c, rbac, PYLON_CAPABILITIES.appManage);
        const refused = refusedRedirectURI(body.redirect_uris);
        if (refused !== null) throw new PylonError('invalid_redirect_uri', { message: refused });
        const { client, secret } = await context.clientStore.create({
          orgId: c.get('orgId'),
          clientName: body.client_name,
          redirectURIs: body.redirect_uris,
          confidential: body.confidential ?? false,
          origin: 'admin',
          idTokenAlg: body.id_token_signed_response_alg ?? 'RS256',
          now: services.clock.now(),
        });
        await audit(c, 'oauth.client_registered', auditActor(caller), client.clientId, {
          client_name: client.clientName,
        });
        return c.json({ ...summary(client), ...(secret === null ? {} : { client_secret: secret }) }, 201);
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/oauth/clients/:clientId',
      summary: 'Remove a registered client: it can no longer sign in or refresh',
      tags: ['oauth-server'],
      security: ['session', 'adminToken'],
      responses: {
        200: { description: 'Removed', schema: DeleteOAuthClientResponse },
        403: { description: 'insufficient_capability' },
        404: { description: 'client_not_found' },
      },
      handler: async (c) => {
        const caller = await requireCapability(c, rbac, PYLON_CAPABILITIES.appManage);
        const clientId = c.req.param('clientId') ?? '';
        if (!(await context.clientStore.remove(c.get('orgId'), clientId)))
          throw new PylonError('client_not_found');
        await audit(c, 'oauth.client_removed', auditActor(caller), clientId);
        return c.json({ client_id: clientId, deleted: true as const });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/oauth/register',
      cors: true,
      summary: 'RFC 7591 dynamic client registration (only when PYLON_OAUTH_DYNAMIC_REGISTRATION=true)',
      tags: ['oauth-server'],
      // Checked in the handler: a field RFC 7591 §3.2.2 names its own error for (redirect_uris:
      // invalid_redirect_uri, any other: invalid_client_metadata), not the table's invalid_request.
      body: handChecked(DynamicClientRegistrationRequest, [
        'redirect_uris',
        'client_name',
        'token_endpoint_auth_method',
        'grant_types',
        'response_types',
        'id_token_signed_response_alg',
      ]),
      errorShape: 'oauth',
      responses: {
        201: { description: 'RFC 7591 §3.2.1 client information response' },
        400: { description: 'invalid_redirect_uri, invalid_client_metadata (RFC 7591 §3.2.2)' },
        404: { description: 'Dynamic registration is off' },
        429: {
          description:
            'Too many registrations from this address (PYLON_RATE_LIMIT_REGISTRATIONS_PER_IP_HOUR)',
        },
      },
      handler: async (c, { body: posted }) => {
        if (!services.config.oauthServer.dynamicRegistration) throw new PylonError('not_found');
        const refuse = (error: string, description: string) => {
          c.header('Cache-Control', 'no-store');
          return c.json({ error, error_description: description }, 400);
        };
        const parsed = DynamicClientRegistrationRequest.safeParse(posted);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          const field = issue.path.join('.');
          return refuse(
            issue.path[0] === 'redirect_uris' ? 'invalid_redirect_uri' : 'invalid_client_metadata',
            `${field === '' ? '' : `${field}: `}${issue.message}`,
          );
        }
        const body = parsed.data;
        const limit = await context.identity.limiter.hit(
          {
            name: 'oauth_register:ip',
            limit: services.config.rateLimits.registrationsPerIPHour,
            windowSeconds: 3600,
          },
          ipBucket(clientIP(c, services)),
          services.clock.now(),
        );
        if (!limit.allowed) {
          c.header('Retry-After', String(limit.retryAfterSeconds));
          return c.json({ error: 'too_many_requests', error_description: 'Too many registrations' }, 429);
        }
        const refusedURI = refusedRedirectURI(body.redirect_uris);
        if (refusedURI !== null) return refuse('invalid_redirect_uri', refusedURI);
        const method = body.token_endpoint_auth_method ?? 'client_secret_basic';
        if (!['none', 'client_secret_basic', 'client_secret_post'].includes(method))
          return refuse('invalid_client_metadata', 'token_endpoint_auth_method is not supported');
        const grants = body.grant_types ?? ['authorization_code'];
        if (!grants.every((grant) => grant === 'authorization_code' || grant === 'refresh_token'))
          return refuse('invalid_client_metadata', 'Only authorization_code and refresh_token are supported');
        if (!(body.response_types ?? ['code']).every((type) => type === 'code'))
          return refuse('invalid_client_metadata', 'Only the code response type is supported');
        const alg = body.id_token_signed_response_alg ?? 'RS256';
        if (alg !== 'RS256' && alg !== 'EdDSA')
          return refuse('invalid_client_metadata', 'id_token_signed_response_alg must be RS256 or EdDSA');
        const { client, secret } = await context.clientStore.create({
          orgId: c.get('orgId'),
          clientName: body.client_name?.trim() || 'Unnamed client',
          redirectURIs: body.redirect_uris,
          confidential: method !== 'none',
          origin: 'dynamic',
          idTokenAlg: alg,
          now: services.clock.now(),
        });
        await audit(c, 'oauth.client_registered', { type: 'anonymous' }, client.clientId, {
          client_name: client.clientName,
          dynamic: true,
        });
        c.header('Cache-Control', 'no-store');
        return c.json(
          {
            client_id: client.clientId,
            ...(secret === null ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
            client_id_issued_at: Math.floor(client.createdAt / 1000),
            client_name: client.clientName,
            redirect_uris: client.redirectURIs,
            token_endpoint_auth_method: method,
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            id_token_signed_response_alg: alg,
          },
          201,
        );
      },
    }),
  ];
}
