import { hashEmail, PylonError } from '@pylon/core';
import {
  ChangeMemberRoleRequest,
  ChangeMemberRoleResponse,
  CreateOrgRequest,
  DeleteOrgResponse,
  MemberList,
  Org,
  OrgList,
  OrgView,
  RemoveMemberResponse,
} from '@pylon/core/wire';
import { appendAudit } from '../../audit/audit-log.js';
import { toHex } from '../../crypto/random.js';
import type { AppContext } from '../../http/context.js';
import { handChecked } from '../../http/hand-checked.js';
import { defineRoute } from '../../http/route-table.js';
import { isUniqueViolation } from '../../storage/errors.js';
import { clientIP, requireSession } from '../identity/route-helpers.js';
import type { OrgsContext } from './feature.js';
import { actorName, orgActor, relockActor } from './org-access.js';
import {
  checkRemoval,
  checkRoleChange,
  isOrgId,
  orgIdFromName,
  requireOrgRole,
  requireOwner,
} from './policy.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

export function orgRoutes(context: OrgsContext) {
  const { services, orgs } = context;
  const audit = (
    c: AppContext,
    orgId: string,
    action: string,
    actor: string,
    target: string | null,
    detail: Record<string, unknown> | null,
  ) => ({
    org: orgId,
    action,
    actor,
    target,
    detail,
    ip: clientIP(c, services),
    requestId: c.get('requestId'),
  });

  return [
    defineRoute({
      method: 'post',
      path: '/orgs',
      summary: 'Create an org; the caller becomes its owner',
      tags: ['orgs'],
      security: ['session', 'sessionCookie'],
      body: CreateOrgRequest,
      responses: {
        201: { description: 'Created', schema: Org },
        400: {
          description:
            'BAD_ORG_ID; VALIDATION_FAILED: an empty name, or one with a control, format (bidi, zero-width) or line-breaking character',
        },
        401: { description: 'UNAUTHORIZED' },
        409: { description: 'ORG_EXISTS' },
      },
      handler: async (c, { body }) => {
        const session = await requireSession(c, services);
        const id = body.id ?? orgIdFromName(body.name, toHex(services.random.bytes(3)));
        if (!isOrgId(id)) throw new PylonError('BAD_ORG_ID');
        const now = services.clock.now();
        try {
          await services.storage.db.transaction().execute(async (trx) => {
            await orgs.create(trx, { id, name: body.name, now });
            await orgs.addMember(trx, id, session.userId, 'owner', now);
            await appendAudit(trx, now, audit(c, id, 'org.created', session.userId, id, { name: body.name }));
            await appendAudit(
              trx,
              now,
              audit(c, id, 'org.member_added', session.userId, session.userId, {
                role: 'owner',
                via: 'create',
              }),
            );
          });
        } catch (error) {
          if (isUniqueViolation(error)) throw new PylonError('ORG_EXISTS');
          throw error;
        }
        services.orgs.forget(id);
        return c.json({ id, name: body.name, created_at: seconds(now), role: 'owner' }, 201);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/orgs',
      summary: "The caller's orgs with their role in each",
      tags: ['orgs'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'Orgs', schema: OrgList },
        401: { description: 'UNAUTHORIZED' },
      },
      handler: async (c) => {
        const session = await requireSession(c, services);
        const list = await orgs.listForUser(session.userId);
        return c.json(
          list.map((org) => ({
            id: org.id,
            name: org.name,
            created_at: seconds(org.createdAt),
            role: org.role,
          })),
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/orgs/:id',
      summary: 'An org the caller belongs to',
      tags: ['orgs'],
      security: ['session', 'sessionCookie', 'adminToken'],
      responses: {
        200: { description: 'The org', schema: OrgView },
        404: { description: 'ORG_NOT_FOUND (also for non-members)' },
      },
      handler: async (c) => {
        const orgId = c.req.param('id') ?? '';
        const actor = await orgActor(c, services, orgs, orgId);
        const org = (await orgs.find(orgId))!;
        return c.json({
          id: org.id,
          name: org.name,
          created_at: seconds(org.createdAt),
          role: actor.kind === 'member' ? actor.role : null,
        });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/orgs/:id',
      summary: 'Delete an org with its memberships and invites (owners only)',
      tags: ['orgs'],
      security: ['session', 'sessionCookie', 'adminToken'],
      responses: {
        200: { description: 'Deleted', schema: DeleteOrgResponse },
        403: { description: 'FORBIDDEN: not an owner' },
        404: { description: 'ORG_NOT_FOUND' },
        409: { description: "DEFAULT_ORG: the deployment's default org stays" },
      },
      handler: async (c) => {
        const orgId = c.req.param('id') ?? '';
        const actor = await orgActor(c, services, orgs, orgId);
        requireOwner(actor, 'delete the org');
        if (orgId === services.config.orgId) throw new PylonError('DEFAULT_ORG');
        const now = services.clock.now();
        await services.storage.db.transaction().execute(async (trx) => {
          // The org's row first, as every membership change and invite acceptance takes it: the
          // opposite order deadlocks with them on PostgreSQL. A deletion that lost the race: 404.
          requireOwner(await relockActor(trx, orgs, orgId, actor), 'delete the org');
          await context.identity.sessions.clearActiveOrg(trx, orgId);
          await context.invites.deleteForOrg(trx, orgId);
          await orgs.delete(trx, orgId);
          await appendAudit(trx, now, audit(c, orgId, 'org.deleted', actorName(actor), orgId, null));
        });
        services.orgs.forget(orgId);
        return c.json({ id: orgId, deleted: true as const });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/orgs/:id/members',
      summary: "An org's members (any member may read)",
      tags: ['orgs'],
      security: ['session', 'sessionCookie', 'adminToken'],
      responses: {
        200: { description: 'Members', schema: MemberList },
        404: { description: 'ORG_NOT_FOUND' },
      },
      handler: async (c) => {
        const orgId = c.req.param('id') ?? '';
        await orgActor(c, services, orgs, orgId);
        const members = await orgs.members(orgId);
        return c.json(
          members.map((m) => ({
            user_id: m.userId,
            email: m.email,
            display_name: m.displayName,
            role: m.role,
            joined_at: seconds(m.joinedAt),
          })),
        );
      },
    }),
    defineRoute({
      method: 'put',
      path: '/orgs/:id/members/:user_id',
      summary: "Change a member's role (owners and admins; only owners grant or change owner)",
      tags: ['orgs'],
      security: ['session', 'sessionCookie', 'adminToken'],
      body: handChecked(ChangeMemberRoleRequest, ['role']),
      responses: {
        200: { description: 'Changed', schema: ChangeMemberRoleResponse },
        400: { description: 'BAD_ROLE' },
        403: { description: 'FORBIDDEN' },
        404: { description: 'ORG_NOT_FOUND or MEMBER_NOT_FOUND' },
        409: { description: 'LAST_OWNER: the last owner cannot be demoted' },
      },
      handler: async (c, { body }) => {
        const orgId = c.req.param('id') ?? '';
        const userId = c.req.param('user_id') ?? '';
        const role = requireOrgRole(body.role);
        const outer = await orgActor(c, services, orgs, orgId);
        const now = services.clock.now();
        await services.storage.db.transaction().execute(async (trx) => {
          const actor = await relockActor(trx, orgs, orgId, outer);
          const current = await orgs.roleOf(orgId, userId, trx);
          if (current === null) throw new PylonError('MEMBER_NOT_FOUND');
          checkRoleChange(actor, current, role);
          if (current === role) return;
          if (current === 'owner' && (await orgs.owners(trx, orgId)) <= 1) {
            throw new PylonError('LAST_OWNER', {
              message: 'The last owner cannot be demoted; make someone else owner first',
            });
          }
          await orgs.setRole(trx, orgId, userId, role);
          await appendAudit(
            trx,
            now,
            audit(c, orgId, 'org.role_changed', actorName(actor), userId, { from: current, to: role }),
          );
        });
        return c.json({ user_id: userId, role });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/orgs/:id/members/:user_id',
      summary: 'Remove a member, or leave (the last owner can do neither)',
      tags: ['orgs'],
      security: ['session', 'sessionCookie', 'adminToken'],
      responses: {
        200: { description: 'Removed', schema: RemoveMemberResponse },
        403: { description: 'FORBIDDEN' },
        404: { description: 'ORG_NOT_FOUND or MEMBER_NOT_FOUND' },
        409: { description: 'LAST_OWNER' },
      },
      handler: async (c) => {
        const orgId = c.req.param('id') ?? '';
        const userId = c.req.param('user_id') ?? '';
        const outer = await orgActor(c, services, orgs, orgId);
        const now = services.clock.now();
        // Read before the transaction (SQLite's one connection is the transaction's); an address
        // is not changed by removing a membership.
        const email = (await context.identity.users.findById(userId))?.email ?? null;
        await services.storage.db.transaction().execute(async (trx) => {
          const actor = await relockActor(trx, orgs, orgId, outer);
          const current = await orgs.roleOf(orgId, userId, trx);
          if (current === null) throw new PylonError('MEMBER_NOT_FOUND');
          checkRemoval(actor, userId, current);
          if (current === 'owner' && (await orgs.owners(trx, orgId)) <= 1) {
            throw new PylonError('LAST_OWNER');
          }
          await orgs.removeMember(trx, orgId, userId);
          await context.identity.sessions.clearActiveOrg(trx, orgId, userId);
          // Their grants in the org's apps go with the membership: an admin's `pylon-admin` grant
          // would otherwise keep the org's powers after they were removed.
          const revoked =
            email === null ? [] : await context.grants.revokeAllOf(trx, orgId, hashEmail(email));
          await appendAudit(
            trx,
            now,
            audit(c, orgId, 'org.member_removed', actorName(actor), userId, {
              role: current,
              ...(revoked.length > 0
                ? {
                    revoked_grants: revoked.map((grant) => ({
                      app_id: grant.appId,
                      archetype: grant.archetype,
                    })),
                  }
                : {}),
            }),
          );
        });
        return c.json({ user_id: userId, removed: true as const });
      },
    }),
  ];
}
