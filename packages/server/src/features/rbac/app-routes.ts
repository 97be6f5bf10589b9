import { isSlug, PylonError, SLUG_PATTERN } from '@pylon/core';
import {
  AppList,
  AppSummary,
  DisableAppResponse,
  RegisterAppRequest,
  RegisterAppResponse,
  RotateAppTokenResponse,
  UpdateAppRequest,
} from '@pylon/core/wire';
import { appendAudit } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { defineRoute } from '../../http/route-table.js';
import { isUniqueViolation } from '../../storage/errors.js';
import { checkResourceURL } from './app-resource.js';
import { PYLON_APP_ID, PYLON_CAPABILITIES } from './builtin-schema.js';
import { auditActor, requireCapability } from './caller.js';
import type { RBACContext } from './context.js';

export function appRoutes(context: RBACContext) {
  const { services, apps } = context;
  const requireApp = async (c: AppContext) => {
    const app = await apps.find(c.get('orgId'), c.req.param('appId') ?? '');
    if (!app) throw new PylonError('app_not_found');
    return app;
  };

  return [
    defineRoute({
      method: 'get',
      path: '/apps',
      summary: "The org's registered apps",
      tags: ['apps'],
      security: ['session', 'adminToken'],
      responses: {
        200: { description: 'Apps', schema: AppList },
        403: { description: 'insufficient_capability' },
      },
      handler: async (c) => {
        await requireCapability(c, context, PYLON_CAPABILITIES.appManage);
        const list = await apps.list(c.get('orgId'));
        return c.json({
          apps: list.map((app) => ({
            app_id: app.id,
            name: app.name,
            owner: app.owner,
            ...(app.description === null ? {} : { description: app.description }),
            status: app.status,
            created_at: app.created_at,
            ...(app.resource === null ? {} : { resource: app.resource }),
          })),
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/apps',
      summary:
        'Register an app; its id is its name (a slug) and its token is shown once. Registering a disabled app again re-enables it with a new token',
      tags: ['apps'],
      security: ['session', 'adminToken'],
      body: RegisterAppRequest,
      responses: {
        200: {
          description: 'A disabled app re-enabled with a new token',
          schema: RegisterAppResponse,
        },
        201: { description: 'Registered', schema: RegisterAppResponse },
        400: {
          description:
            'invalid_app_id (not a slug, or the reserved `pylon`), or invalid_resource (not an https URL)',
        },
        403: { description: 'insufficient_capability' },
        409: {
          description:
            'app_exists: an active app has this name; resource_taken: another app has the resource',
        },
      },
      handler: async (c, { body }) => {
        const caller = await requireCapability(c, context, PYLON_CAPABILITIES.appManage);
        if (!isSlug(body.name))
          throw new PylonError('invalid_app_id', { message: `name must be a slug: ${SLUG_PATTERN.source}` });
        if (body.name === PYLON_APP_ID)
          throw new PylonError('invalid_app_id', { message: '`pylon` is reserved for the built-in app' });
        const orgId = c.get('orgId');
        const now = services.clock.now();
        const resource =
          body.resource === undefined ? null : checkResourceURL(body.resource, services.config.env);
        const holder = resource === null ? null : await apps.findByResource(orgId, resource);
        if (holder && holder.id !== body.name) throw new PylonError('resource_taken');
        try {
          const token = await services.storage.db.transaction().execute(async (trx) => {
            const created = await apps.create(trx, {
              orgId,
              id: body.name,
              name: body.name,
              owner: body.owner,
              description: body.description ?? null,
              resource,
              now,
            });
            await appendAudit(trx, now, {
              org: orgId,
              action: 'app.registered',
              actor: auditActor(caller),
              target: body.name,
              detail: { owner: body.owner, ...(resource === null ? {} : { resource }) },
              requestId: c.get('requestId'),
            });
            return created;
          });
          return c.json({ app_id: body.name, app_token: token }, 201);
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
        // The name is taken. A disabled app comes back through registration (pylon-cli's documented
        // rotation path): new token, active again. An active one keeps its token.
        const token = await services.storage.db.transaction().execute(async (trx) => {
          const rotated = await apps.reenable(trx, orgId, body.name, now);
          if (rotated === null) return null;
          const entry = {
            org: orgId,
            actor: auditActor(caller),
            target: body.name,
            requestId: c.get('requestId'),
          };
          await appendAudit(trx, now, { ...entry, action: 'app.enabled', detail: { via: 'register' } });
          await appendAudit(trx, now, {
            ...entry,
            action: 'app.token_rotated',
            detail: { via: 'register', re_enabled: true },
          });
          return rotated;
        });
        if (token === null) throw new PylonError('app_exists');
        return c.json({ app_id: body.name, app_token: token }, 200);
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/apps/:appId',
      summary: "Change an app's MCP server URL (RFC 8707 resource; null removes it) or its description",
      tags: ['apps'],
      security: ['session', 'adminToken'],
      body: UpdateAppRequest,
      responses: {
        200: { description: 'The app as listed', schema: AppSummary },
        400: { description: 'invalid_resource' },
        403: { description: 'insufficient_capability' },
        404: { description: 'app_not_found' },
        409: { description: 'resource_taken: another app of the org has this resource' },
      },
      handler: async (c, { body }) => {
        const caller = await requireCapability(c, context, PYLON_CAPABILITIES.appManage);
        const app = await requireApp(c);
        const resource =
          body.resource === undefined || body.resource === null
            ? body.resource
            : checkResourceURL(body.resource, services.config.env);
        const holder = typeof resource === 'string' ? await apps.findByResource(app.org_id, resource) : null;
        if (holder && holder.id !== app.id) throw new PylonError('resource_taken');
        const now = services.clock.now();
        try {
          await services.storage.db.transaction().execute(async (trx) => {
            await apps.setDetails(trx, app.org_id, app.id, { resource, description: body.description });
            await appendAudit(trx, now, {
              org: app.org_id,
              action: 'app.updated',
              actor: auditActor(caller),
              target: app.id,
              detail: {
                ...(resource === undefined ? {} : { resource }),
                ...(body.description === undefined ? {} : { description: true }),
              },
              requestId: c.get('requestId'),
            });
          });
        } catch (error) {
          if (isUniqueViolation(error)) throw new PylonError('resource_taken');
          throw error;
        }
        const updated = (await apps.find(app.org_id, app.id))!;
        return c.json({
          app_id: updated.id,
          name: updated.name,
          owner: updated.owner,
          ...(updated.description === null ? {} : { description: updated.description }),
          status: updated.status,
          created_at: updated.created_at,
          ...(updated.resource === null ? {} : { resource: updated.resource }),
        });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/apps/:appId',
      summary: 'Disable an app: its tokens can no longer be minted',
      tags: ['apps'],
      security: ['session', 'adminToken'],
      responses: {
        200: {
          description: 'Disabled',
          schema: DisableAppResponse,
        },
        403: { description: 'insufficient_capability' },
        404: { description: 'app_not_found' },
      },
      handler: async (c) => {
        const caller = await requireCapability(c, context, PYLON_CAPABILITIES.appManage);
        const app = await requireApp(c);
        const now = services.clock.now();
        await services.storage.db.transaction().execute(async (trx) => {
          // Disabling a disabled app changes nothing, so it is not audited again.
          if (!(await apps.disable(trx, app.org_id, app.id))) return;
          await appendAudit(trx, now, {
            org: app.org_id,
            action: 'app.disabled',
            actor: auditActor(caller),
            target: app.id,
            requestId: c.get('requestId'),
          });
        });
        return c.json({ app_id: app.id, status: 'disabled' as const });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/apps/:appId/token/rotate',
      summary: 'A new app token; the old one stops working at once',
      tags: ['apps'],
      security: ['session', 'adminToken'],
      responses: {
        200: {
          description: 'Rotated',
          schema: RotateAppTokenResponse,
        },
        403: { description: 'insufficient_capability' },
        404: { description: 'app_not_found' },
      },
      handler: async (c) => {
        const caller = await requireCapability(c, context, PYLON_CAPABILITIES.appManage);
        const app = await requireApp(c);
        const now = services.clock.now();
        const token = await services.storage.db.transaction().execute(async (trx) => {
          const rotated = (await apps.rotateToken(trx, app.org_id, app.id, now))!;
          await appendAudit(trx, now, {
            org: app.org_id,
            action: 'app.token_rotated',
            actor: auditActor(caller),
            target: app.id,
            requestId: c.get('requestId'),
          });
          return rotated;
        });
        return c.json({ app_id: app.id, app_token: token, rotated_at: now });
      },
    }),
  ];
}
