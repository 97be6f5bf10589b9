import { hashEmail, isValidEmail, normalizeEmail, PylonError } from '@pylon/core';
import {
  GrantList,
  GrantRoleRequest,
  GrantRoleResponse,
  ListRolesQuery,
  RevokeRoleResponse,
} from '@pylon/core/wire';
import { appendAudit } from '../../audit/audit-log.js';
import { defineRoute } from '../../http/route-table.js';
import type { DB } from '../../storage/database.js';
import { PYLON_APP_ID, PYLON_CAPABILITIES, PYLON_CAPABILITY_SET, PYLON_EXPANSION } from './builtin-schema.js';
import { auditActor, callerName, requireCapability, requirePylonCapability } from './caller.js';
import type { RBACContext } from './context.js';
import { checkGrant, type Grantable, pylonCapabilitiesOf, requireHeldByGrantor } from './grant-authority.js';

/**
 * A bare name in a grant (`admin`, as `pylon role grant --archetype admin` sends it) means the
 * app's own (`<appId>:admin`): a registered app's names are always namespaced by its id. The
 * built-in `pylon` app's names (`pylon-admin`, `pylon:app.manage`) are used as they are.
 */
function qualify(appId: string, name: string): string {
  return appId === PYLON_APP_ID || name.includes(':') ? name : `${appId}:${name}`;
}

export function roleRoutes(context: RBACContext) {
  const { services, apps, grants, schemas, orgs } = context;

  /**
   * The archetypes and capabilities an app's grants may name now, read inside the grant's
   * transaction after locking the row its grants hang on (the org's first, `lockGrantsOf`), so
   * that nothing changing them commits in between. A registered app's row: approving a version (schema-routes.ts) locks it too, so a
   * grant is checked against the version current when it commits, and one committed just before
   * an approval is revoked by it if the version dropped its archetype. The built-in app's schema
   * never changes; there the org's row is locked (as membership changes lock it), so the grantor
   * check sees the very grant it replaces or revokes. A lock on PostgreSQL; SQLite runs one
   * transaction at a time anyway.
   */
  async function lockGrantable(trx: DB, orgId: string, appId: string): Promise<Grantable> {
    await lockGrantsOf(trx, orgId, appId);
    if (appId === PYLON_APP_ID) {
      return { archetypes: PYLON_EXPANSION, capabilities: PYLON_CAPABILITY_SET };
    }
    const app = await apps.lock(trx, orgId, appId);
    if (!app) throw new PylonError('invalid_app_id');
    const version =
      app.current_version === null ? null : await schemas.load(orgId, appId, app.current_version, trx);
    return version ?? { archetypes: new Map(), capabilities: new Set() };
  }

  /**
   * The org's row, before any app or grant row, as membership changes and the org's deletion take
   * it, so a grant or revocation racing the deletion waits for it and answers 404 (not a deadlock,
   * nor a foreign-key failure on the grant's insert). The `pylon` app's grants lock it outright;
   * a registered app's only hold it against deletion, as the foreign keys of its schema's writes
   * do, so that they queue on the app's row alone.
   */
  async function lockGrantsOf(trx: DB, orgId: string, appId: string): Promise<void> {
    const found =
      appId === PYLON_APP_ID
        ? (await orgs.lock(trx, orgId)) !== null
        : await orgs.lockAgainstDeletion(trx, orgId);
    if (!found) throw new PylonError('org_not_found');
  }

  return [
    defineRoute({
      method: 'post',
      path: '/roles',
      summary:
        "Grant an email an archetype (plus extra capabilities) in an app; replaces an earlier grant. Bare names mean the app's own",
      tags: ['roles'],
      security: ['session', 'adminToken'],
      body: GrantRoleRequest,
      responses: {
        200: {
          description: 'Granted',
          schema: GrantRoleResponse,
        },
        400: { description: 'invalid_email, invalid_app_id, invalid_archetype or invalid_capability' },
        403: { description: 'insufficient_capability' },
      },
      handler: async (c, { body }) => {
        const { caller, held } = await requirePylonCapability(c, context, PYLON_CAPABILITIES.roleManage);
        if (!isValidEmail(body.email)) throw new PylonError('invalid_email');
        const orgId = c.get('orgId');
        const archetype = qualify(body.app_id, body.archetype);
        const capabilities = (body.capabilities ?? []).map((cap) => qualify(body.app_id, cap));
        const email = normalizeEmail(body.email);
        const emailHash = hashEmail(email);
        const now = services.clock.now();
        await services.storage.db.transaction().execute(async (trx) => {
          const allowed = await lockGrantable(trx, orgId, body.app_id);
          checkGrant(allowed, { appId: body.app_id, archetype, capabilities });
          if (body.app_id === PYLON_APP_ID) {
            requireHeldByGrantor(
              held,
              pylonCapabilitiesOf({ archetype, capabilities }),
              `Granting ${archetype}`,
            );
            // An upsert replaces the grant there was: replacing is revoking, held to the same rule.
            const replaced = await grants.find(orgId, PYLON_APP_ID, emailHash, trx);
            if (replaced) {
              requireHeldByGrantor(
                held,
                pylonCapabilitiesOf(replaced),
                `Replacing the grant of ${replaced.archetype}`,
              );
            }
          }
          await grants.upsert(trx, {
            orgId,
            appId: body.app_id,
            emailHash,
            email,
            archetype,
            capabilities: [...new Set(capabilities)].sort(),
            grantedAt: now,
            grantedBy: callerName(caller),
          });
          await appendAudit(trx, now, {
            org: orgId,
            action: 'role.granted',
            actor: auditActor(caller),
            target: { email, emailHash },
            detail: { app_id: body.app_id, archetype, capabilities },
            requestId: c.get('requestId'),
          });
        });
        return c.json({ email_hash: emailHash, app_id: body.app_id, archetype });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/roles',
      summary: "The org's grants, optionally for one app",
      tags: ['roles'],
      security: ['session', 'adminToken'],
      query: ListRolesQuery,
      responses: {
        200: { description: 'Grants', schema: GrantList },
        403: { description: 'insufficient_capability' },
      },
      handler: async (c, { query }) => {
        await requireCapability(c, context, PYLON_CAPABILITIES.roleManage);
        const list = await grants.list(c.get('orgId'), query.app_id);
        return c.json({
          roles: list.map((grant) => ({
            email_hash: grant.emailHash,
            ...(grant.email === null ? {} : { email: grant.email }),
            app_id: grant.appId,
            archetype: grant.archetype,
            ...(grant.capabilities.length > 0 ? { capabilities: grant.capabilities } : {}),
            granted_at: grant.grantedAt,
            granted_by: grant.grantedBy,
          })),
        });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/roles/:appId/:emailHash',
      summary: 'Revoke a grant',
      tags: ['roles'],
      security: ['session', 'adminToken'],
      responses: {
        200: {
          description: 'Revoked',
          schema: RevokeRoleResponse,
        },
        403: { description: 'insufficient_capability' },
        404: { description: 'grant_not_found' },
      },
      handler: async (c) => {
        const { caller, held } = await requirePylonCapability(c, context, PYLON_CAPABILITIES.roleManage);
        const orgId = c.get('orgId');
        const appId = c.req.param('appId') ?? '';
        const emailHash = c.req.param('emailHash') ?? '';
        const now = services.clock.now();
        await services.storage.db.transaction().execute(async (trx) => {
          await lockGrantsOf(trx, orgId, appId);
          if (appId === PYLON_APP_ID) {
            const grant = await grants.find(orgId, PYLON_APP_ID, emailHash, trx);
            if (grant) requireHeldByGrantor(held, pylonCapabilitiesOf(grant), `Revoking ${grant.archetype}`);
          }
          const revoked = await grants.revoke(trx, orgId, appId, emailHash);
          if (!revoked) throw new PylonError('grant_not_found');
          await appendAudit(trx, now, {
            org: orgId,
            action: 'role.revoked',
            actor: auditActor(caller),
            target: { email: revoked.email, emailHash },
            detail: { app_id: appId },
            requestId: c.get('requestId'),
          });
        });
        return c.json({ app_id: appId, email_hash: emailHash, revoked: true as const });
      },
    }),
  ];
}
