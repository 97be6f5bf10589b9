import { diffSchemas, PylonError, type SchemaDiff, SchemaError } from '@pylon/core';
import {
  ApproveMigrationRequest,
  ApproveMigrationResponse,
  CurrentSchema,
  SchemaDiffResponse,
  SchemaPushResponse,
  SchemaVersions,
  WithdrawPendingResponse,
} from '@pylon/core/wire';
import { z } from 'zod';
import { type AuditActor, appendAudit } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { defineRoute } from '../../http/route-table.js';
import type { App } from './app-store.js';
import { PYLON_APP_ID, PYLON_CAPABILITIES } from './builtin-schema.js';
import { auditActor, type RBACCaller, rbacCaller, requireCapability } from './caller.js';
import type { RBACContext } from './context.js';
import { contentHashOf, SchemaInputError, type StoredSchema, verifyPushedSchema } from './schema-input.js';
import type { SchemaVersion } from './schema-store.js';

const APP_TOKEN_HEADER = 'x-pylon-app-token';

/** The wire codes for a bad prepared schema: 422 for foreign names, 400 for anything else. */
function schemaFailure(error: unknown): never {
  if (error instanceof SchemaInputError) throw new PylonError('invalid_schema', { message: error.message });
  if (error instanceof SchemaError) {
    if (error.code === 'namespace_violation')
      throw new PylonError('namespace_violation', { message: error.message });
    throw new PylonError('invalid_schema', { message: error.message });
  }
  throw error;
}

function verify(body: unknown, appId: string) {
  try {
    return verifyPushedSchema(body, appId);
  } catch (error) {
    schemaFailure(error);
  }
}

/**
 * A version as listings show it. `prepared` is the CLI's marker alone ({cli_version,
 * source_sha256, content_sha256}), which pylon-cli prints as such; absent for a push without one.
 */
function versionSummary(version: SchemaVersion) {
  const marker = version.prepared._prepared;
  return {
    version: version.version,
    version_tag: version.versionTag,
    pushed_by: version.pushedBy,
    pushed_at: version.pushedAt,
    ...(marker === undefined
      ? {}
      : {
          prepared: {
            cli_version: marker.cli_version,
            source_sha256: marker.source_sha256,
            content_sha256: marker.content_sha256,
          },
        }),
  };
}

export function schemaRoutes(context: RBACContext) {
  const { services, apps, schemas, grants } = context;

  /** The app whose token is presented in X-Pylon-App-Token (app_token_invalid otherwise). */
  async function appByToken(c: AppContext): Promise<App> {
    const token = c.req.header(APP_TOKEN_HEADER);
    const app = token ? await apps.findByToken(c.get('orgId'), c.req.param('appId') ?? '', token) : null;
    if (!app) throw new PylonError('app_token_invalid');
    if (app.status !== 'active') throw new PylonError('app_disabled');
    return app;
  }

  /**
   * Schemas describe an org's apps: readable by its members, by holders of any `pylon:*`
   * capability there (a grant without membership) and by the admin token, not by any signed-in
   * person.
   */
  async function requireReader(c: AppContext): Promise<RBACCaller> {
    const caller = await rbacCaller(c, context);
    if (caller.kind === 'admin') return caller;
    const orgId = c.get('orgId');
    if ((await context.orgs.roleOf(orgId, caller.userId)) !== null) return caller;
    const pylon = await context.capabilities.resolve(orgId, PYLON_APP_ID, {
      email: caller.email,
      userId: caller.userId,
    });
    if (pylon.kind === 'ok' && pylon.caps.length > 0) return caller;
    throw new PylonError('insufficient_capability', {
      message: 'Reading schemas needs membership of this org',
    });
  }

  async function appForReader(c: AppContext): Promise<App> {
    await requireReader(c);
    const app = await apps.find(c.get('orgId'), c.req.param('appId') ?? '');
    if (!app) throw new PylonError('app_not_found');
    return app;
  }

  async function diffAgainstCurrent(app: App, next: StoredSchema): Promise<SchemaDiff> {
    const current =
      app.current_version === null ? null : await schemas.get(app.org_id, app.id, app.current_version);
    return diffSchemas(current?.prepared ?? { capabilities: [], archetypes: [] }, next);
  }

  return [
    defineRoute({
      method: 'post',
      path: '/apps/:appId/schema',
      summary: 'Push a prepared schema: additive changes become current, destructive ones wait for approval',
      tags: ['schemas'],
      security: ['appToken'],
      body: z.unknown(),
      responses: {
        200: {
          description: 'Accepted, or pending approval',
          schema: SchemaPushResponse,
        },
        400: { description: 'invalid_schema' },
        401: { description: 'app_token_invalid' },
        403: { description: 'app_disabled' },
        409: { description: 'schema_pending: another version already waits for approval' },
        422: { description: 'namespace_violation' },
      },
      handler: async (c, { body }) => {
        const app = await appByToken(c);
        const { schema: prepared, contentSHA256, expanded } = verify(body, app.id);
        const now = services.clock.now();
        const actor = `app:${app.id}`;
        const result = await services.storage.db.transaction().execute(async (trx) => {
          const locked = (await apps.lock(trx, app.org_id, app.id))!;
          if (locked.pending_version !== null) {
            throw new PylonError('schema_pending', {
              message: `Version ${locked.pending_version} is waiting for approval`,
            });
          }
          const current =
            locked.current_version === null
              ? null
              : await schemas.get(app.org_id, app.id, locked.current_version, trx);
          if (current && contentHashOf(current.prepared) === contentSHA256) {
            return { status: 'accepted' as const, version: current.version };
          }
          const diff = diffSchemas(current?.prepared ?? { capabilities: [], archetypes: [] }, prepared);
          const version = await schemas.nextVersion(trx, app.org_id, app.id);
          await schemas.insert(trx, app.org_id, app.id, {
            version,
            versionTag: prepared.version_tag,
            prepared,
            expanded,
            pushedBy: actor,
            pushedAt: now,
          });
          const destructive = current !== null && diff.kind === 'destructive';
          await apps.setVersions(trx, app.org_id, app.id, {
            current: destructive ? locked.current_version : version,
            pending: destructive ? version : null,
          });
          await appendAudit(trx, now, {
            org: app.org_id,
            action: 'schema.pushed',
            actor,
            target: app.id,
            detail: {
              version,
              version_tag: prepared.version_tag,
              status: destructive ? 'pending_approval' : 'accepted',
              kind: diff.kind,
            },
            requestId: c.get('requestId'),
          });
          return destructive
            ? { status: 'pending_approval' as const, version, current_version: locked.current_version, diff }
            : { status: 'accepted' as const, version };
        });
        return c.json(result);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/apps/:appId/schema/diff',
      summary: 'Dry run of a push: the diff against the current version, nothing stored',
      tags: ['schemas'],
      security: ['appToken', 'session'],
      body: z.unknown(),
      responses: {
        200: {
          description: 'What a push would do',
          schema: SchemaDiffResponse,
        },
        400: { description: 'invalid_schema' },
        401: { description: 'app_token_invalid or no_session' },
        403: { description: 'insufficient_capability: a session of someone outside the org' },
        404: { description: 'app_not_found' },
        422: { description: 'namespace_violation' },
      },
      handler: async (c, { body }) => {
        const app = c.req.header(APP_TOKEN_HEADER) ? await appByToken(c) : await appForReader(c);
        const { schema: prepared } = verify(body, app.id);
        const diff = await diffAgainstCurrent(app, prepared);
        return c.json({
          current_version: app.current_version,
          would:
            app.current_version !== null && diff.kind === 'destructive'
              ? ('pending_approval' as const)
              : ('accepted' as const),
          diff,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/apps/:appId/schema',
      summary: "An app's schema versions with the current and pending ones",
      tags: ['schemas'],
      security: ['session', 'adminToken'],
      responses: {
        200: {
          description: 'Versions',
          schema: SchemaVersions,
        },
        403: { description: 'insufficient_capability: not a member of the org' },
        404: { description: 'app_not_found' },
      },
      handler: async (c) => {
        const app = await appForReader(c);
        const versions = await schemas.list(app.org_id, app.id);
        return c.json({
          versions: versions.map(versionSummary),
          current_version: app.current_version,
          pending_version: app.pending_version,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/apps/:appId/schema/current',
      summary: 'The version that serves tokens now',
      tags: ['schemas'],
      security: ['session', 'adminToken'],
      responses: {
        200: { description: 'The current version', schema: CurrentSchema },
        403: { description: 'insufficient_capability: not a member of the org' },
        404: { description: 'app_not_found, or not_found when nothing was pushed yet' },
      },
      handler: async (c) => {
        const app = await appForReader(c);
        const current =
          app.current_version === null ? null : await schemas.get(app.org_id, app.id, app.current_version);
        if (!current)
          throw new PylonError('not_found', { message: 'No schema has been pushed for this app' });
        return c.json({
          ...versionSummary(current),
          capabilities: current.prepared.capabilities,
          archetypes: current.prepared.archetypes,
        });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/apps/:appId/schema/approve-migration',
      summary: 'Make the pending version current; grants of archetypes it removed are revoked',
      tags: ['schemas'],
      security: ['session', 'adminToken'],
      body: ApproveMigrationRequest,
      responses: {
        200: {
          description: 'Approved',
          schema: ApproveMigrationResponse,
        },
        403: { description: 'insufficient_capability' },
        404: { description: 'app_not_found, or nothing_pending (no pending version with that number)' },
      },
      handler: async (c, { body }) => {
        const caller = await requireCapability(c, context, PYLON_CAPABILITIES.approveMigration);
        const orgId = c.get('orgId');
        const appId = c.req.param('appId') ?? '';
        const now = services.clock.now();
        const migrated = await services.storage.db.transaction().execute(async (trx) => {
          const app = await apps.lock(trx, orgId, appId);
          if (!app) throw new PylonError('app_not_found');
          if (app.pending_version !== body.version) {
            throw new PylonError('nothing_pending', {
              message: `Version ${body.version} is not waiting for approval`,
            });
          }
          const next = (await schemas.get(orgId, appId, body.version, trx))!;
          await apps.setVersions(trx, orgId, appId, { current: body.version, pending: null });
          const revoked = await grants.revokeArchetypesNotIn(trx, orgId, appId, Object.keys(next.expanded));
          // Extra capabilities the version removed leave the grants too: a later version adding
          // one back must not hand it out again unannounced.
          const kept = new Set(next.prepared.capabilities.map((capability) => capability.name));
          const stripped = await grants.stripCapabilitiesNotIn(trx, orgId, appId, kept);
          const entry = { org: orgId, actor: auditActor(caller), requestId: c.get('requestId') };
          for (const { grant, removed } of stripped) {
            await appendAudit(trx, now, {
              ...entry,
              action: 'role.granted',
              target: grant.email ?? grant.emailHash,
              detail: {
                app_id: appId,
                archetype: grant.archetype,
                capabilities: grant.capabilities,
                removed_capabilities: removed,
                reason: 'capabilities removed by schema migration',
                version: body.version,
              },
            });
          }
          for (const grant of revoked) {
            await appendAudit(trx, now, {
              ...entry,
              action: 'role.revoked',
              target: grant.email ?? grant.emailHash,
              detail: {
                app_id: appId,
                archetype: grant.archetype,
                reason: 'archetype removed by schema migration',
                version: body.version,
              },
            });
          }
          await appendAudit(trx, now, {
            ...entry,
            action: 'schema.approved',
            target: appId,
            detail: {
              version: body.version,
              previous_version: app.current_version,
              roles_migrated: revoked.length,
            },
          });
          return revoked.length;
        });
        return c.json({ status: 'approved' as const, version: body.version, roles_migrated: migrated });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/apps/:appId/schema/pending',
      summary: 'Withdraw the pending version: it never becomes current, and later pushes are taken again',
      tags: ['schemas'],
      security: ['session', 'adminToken', 'appToken'],
      responses: {
        200: {
          description: 'Withdrawn',
          schema: WithdrawPendingResponse,
        },
        401: { description: 'app_token_invalid, or no_session' },
        403: { description: 'insufficient_capability or app_disabled' },
        404: { description: 'app_not_found, or nothing_pending' },
      },
      handler: async (c) => {
        // The app's own token may take back what it pushed; a person needs the approver's capability.
        const actor: AuditActor = c.req.header(APP_TOKEN_HEADER)
          ? { type: 'app', id: (await appByToken(c)).id }
          : auditActor(await requireCapability(c, context, PYLON_CAPABILITIES.approveMigration));
        const orgId = c.get('orgId');
        const appId = c.req.param('appId') ?? '';
        const now = services.clock.now();
        const withdrawn = await services.storage.db.transaction().execute(async (trx) => {
          const app = await apps.lock(trx, orgId, appId);
          if (!app) throw new PylonError('app_not_found');
          if (app.pending_version === null) throw new PylonError('nothing_pending');
          // The row stays: versions are immutable and their numbers are never reused.
          const pending = (await schemas.get(orgId, appId, app.pending_version, trx))!;
          await apps.setVersions(trx, orgId, appId, { current: app.current_version, pending: null });
          await appendAudit(trx, now, {
            org: orgId,
            action: 'schema.withdrawn',
            actor,
            target: appId,
            detail: { version: pending.version, version_tag: pending.versionTag },
            requestId: c.get('requestId'),
          });
          return { version: pending.version, current: app.current_version };
        });
        return c.json({
          status: 'withdrawn' as const,
          version: withdrawn.version,
          current_version: withdrawn.current,
        });
      },
    }),
  ];
}
