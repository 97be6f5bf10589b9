import { hashEmail, PylonError } from '@pylon/core';
import { BootstrapRequest, BootstrapResponse } from '@pylon/core/wire';
import { type AuditActor, appendAudit } from '../../audit/audit-log.js';
import type { PylonEnv } from '../../config/config.js';
import type { AppContext, Services } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { defineRoute } from '../../http/route-table.js';
import {
  BOOTSTRAP_PAGE_TITLE,
  type BootstrapPageState,
  renderBootstrapPage,
} from '../../pages/bootstrap-page.js';
import { formCSRF } from '../../pages/form-csrf.js';
import { pageBase, renderPage } from '../../pages/page-context.js';
import { isUniqueViolation } from '../../storage/errors.js';
import { BootstrapClaimStore } from './bootstrap-store.js';
import { PYLON_APP_ID } from './builtin-schema.js';
import { rbacCaller } from './caller.js';
import type { RBACContext } from './context.js';
import { type DeploymentAdmins, deploymentAdmins } from './deployment-admin.js';

/**
 * The bootstrap page's double-submit CSRF token, the hosted forms' one mechanism under its own
 * cookie (so a device page tab cannot clobber it); a fresh token each time the button is shown.
 */
const BOOTSTRAP_CSRF = formCSRF('pylon_bootstrap_csrf', { reuse: false });

export type BootstrapRefusal = 'other_org' | 'not_configured' | 'wrong_email' | 'unverified';

export type BootstrapDecision =
  | { kind: 'claim' }
  | { kind: 'refuse'; reason: BootstrapRefusal }
  | { kind: 'consumed' };

/**
 * Who may claim the one-time bootstrap (pure). With `PYLON_BOOTSTRAP_ADMIN_EMAIL` set, only that
 * address, verified, once. Without it, development mode lets the first verified sign-in claim it
 * while the deployment has no admin at all (a development server is its operator's own machine);
 * production refuses, so an unconfigured public server cannot be taken by whoever signs up first.
 */
export function decideBootstrap(input: {
  env: PylonEnv;
  configuredEmail: string | null;
  addressedOrg: string;
  defaultOrg: string;
  email: string;
  emailVerified: boolean;
  /** Configured: no bootstrap claim yet. Development without one: no admin of any kind yet. */
  open: boolean;
}): BootstrapDecision {
  // The deployment's own org only: other orgs have owners of their own, and the bootstrap email
  // must not become an admin of every org created later.
  if (input.addressedOrg !== input.defaultOrg) return { kind: 'refuse', reason: 'other_org' };
  if (input.configuredEmail === null && input.env !== 'development')
    return { kind: 'refuse', reason: 'not_configured' };
  if (input.configuredEmail !== null && input.email !== input.configuredEmail)
    return { kind: 'refuse', reason: 'wrong_email' };
  if (!input.emailVerified) return { kind: 'refuse', reason: 'unverified' };
  return input.open ? { kind: 'claim' } : { kind: 'consumed' };
}

const REFUSALS: Record<BootstrapRefusal, string> = {
  other_org: "Bootstrap applies to the deployment's default org only",
  not_configured: 'Set PYLON_BOOTSTRAP_ADMIN_EMAIL and sign in as that address to bootstrap',
  wrong_email: 'Only the verified PYLON_BOOTSTRAP_ADMIN_EMAIL may bootstrap',
  unverified: 'Verify your email address first',
};

async function claimIsOpen(services: Services, admins: DeploymentAdmins): Promise<boolean> {
  return services.config.bootstrapAdminEmail === null ? !(await admins.exist()) : !(await admins.claimed());
}

/**
 * The claim, in one transaction: the bootstrap row (its primary key makes the claim single-use
 * per org on every process), the `pylon-admin` grant, and an `owner` membership of the default
 * org, so `/whoami`, `/api/auth/me` and the org's member list all name the new admin.
 */
async function consumeBootstrap(
  c: AppContext,
  context: RBACContext,
  claimant: { userId: string; email: string },
): Promise<void> {
  const { services } = context;
  const orgId = services.config.orgId;
  const now = services.clock.now();
  const actor: AuditActor = { type: 'user', id: claimant.userId, email: claimant.email };
  const entry = { org: orgId, actor, requestId: c.get('requestId') };
  await services.storage.db.transaction().execute(async (trx) => {
    await new BootstrapClaimStore(services.storage.db).claim(trx, { orgId, email: claimant.email, now });
    // The org's row before any grant or membership row, in the order `POST /roles` in the
    // `pylon` app and membership changes take them (two orders would let them deadlock).
    await context.orgs.lock(trx, orgId);
    await context.grants.upsert(trx, {
      orgId,
      appId: PYLON_APP_ID,
      emailHash: hashEmail(claimant.email),
      email: claimant.email,
      archetype: 'pylon-admin',
      capabilities: [],
      grantedAt: now,
      grantedBy: 'bootstrap',
    });
    const role = await context.orgs.roleOf(orgId, claimant.userId, trx);
    if (role === null) {
      await context.orgs.addMember(trx, orgId, claimant.userId, 'owner', now);
      await appendAudit(trx, now, {
        ...entry,
        action: 'org.member_added',
        target: claimant.userId,
        detail: { role: 'owner', via: 'bootstrap' },
      });
    } else if (role !== 'owner') {
      await context.orgs.setRole(trx, orgId, claimant.userId, 'owner');
      await appendAudit(trx, now, {
        ...entry,
        action: 'org.role_changed',
        target: claimant.userId,
        detail: { from: role, to: 'owner', via: 'bootstrap' },
      });
    }
    await appendAudit(trx, now, { ...entry, target: claimant.email, action: 'bootstrap.consumed' });
    await appendAudit(trx, now, {
      ...entry,
      target: claimant.email,
      action: 'role.granted',
      detail: { app_id: PYLON_APP_ID, archetype: 'pylon-admin', via: 'bootstrap' },
    });
  });
}

export function bootstrapRoutes(context: RBACContext) {
  const { services, admins } = context;
  const config = services.config;

  async function pageState(c: AppContext): Promise<BootstrapPageState> {
    const orgId = c.get('orgId');
    // An org's own host answers at its root too, so the way back is the deployment's public URL.
    if (orgId !== config.orgId)
      return { kind: 'other_org', orgId, defaultPage: `${config.publicURL}/bootstrap` };
    const auth = await getAuth(c, services);
    const open = await claimIsOpen(services, admins);
    if (auth.authMethod !== 'session' || auth.email === null || auth.userId === null)
      return open ? { kind: 'signed_out' } : { kind: 'taken' };
    if ((await admins.standing(auth)).isAdmin) return { kind: 'you_are_admin', email: auth.email };
    const decision = decideBootstrap({
      env: config.env,
      configuredEmail: config.bootstrapAdminEmail,
      addressedOrg: orgId,
      defaultOrg: config.orgId,
      email: auth.email,
      emailVerified: auth.emailVerified,
      open,
    });
    if (decision.kind === 'consumed') return { kind: 'taken' };
    if (decision.kind === 'refuse') {
      if (!open) return { kind: 'taken' };
      if (decision.reason === 'unverified') return { kind: 'unverified', email: auth.email };
      if (decision.reason === 'wrong_email') return { kind: 'wrong_email', email: auth.email };
      return { kind: 'not_configured' };
    }
    return {
      kind: 'claimable',
      email: auth.email,
      csrf: BOOTSTRAP_CSRF.token(c, services),
      devMode: config.bootstrapAdminEmail === null,
    };
  }

  return [
    defineRoute({
      method: 'get',
      path: '/bootstrap',
      summary: 'The page where the first admin claims the deployment (shows how, or a Claim admin button)',
      tags: ['pages'],
      responses: { 200: { description: 'HTML' } },
      handler: async (c) =>
        renderPage(c, BOOTSTRAP_PAGE_TITLE, renderBootstrapPage(pageBase(c), await pageState(c))),
    }),
    defineRoute({
      method: 'post',
      path: '/bootstrap',
      summary:
        'One-time claim of the deployment: pylon-admin and owner of the default org for PYLON_BOOTSTRAP_ADMIN_EMAIL (or, in development without it, the first verified sign-in)',
      tags: ['rbac'],
      security: ['session', 'sessionCookie'],
      body: BootstrapRequest,
      acceptsForm: true,
      responses: {
        200: {
          description: 'Granted',
          schema: BootstrapResponse,
        },
        303: { description: 'A form post from the page: back to the page' },
        401: { description: 'no_session' },
        403: {
          description:
            'not_bootstrap_email (another address, an unverified one, production without the variable, another org); forbidden: a cookie-authenticated post without the page’s CSRF token',
        },
        409: { description: 'bootstrap_consumed' },
      },
      handler: async (c, { body }) => {
        const caller = await rbacCaller(c, context);
        const auth = await getAuth(c, services);
        // Memberships are keyed by Pylon user ids: a session or an API key names one, the admin
        // token and an external issuer's subject do not.
        if (caller.kind !== 'person' || (auth.authMethod !== 'session' && auth.authMethod !== 'api_key')) {
          throw new PylonError('not_bootstrap_email', {
            message: 'Bootstrap is claimed by a signed-in person',
          });
        }
        // A cookie-authenticated post is a form's: it must carry the page's token (its origin was
        // checked when the session cookie was read).
        const viaCookie = auth.authMethod === 'session' && c.req.header('authorization') === undefined;
        if (viaCookie && !BOOTSTRAP_CSRF.passes(c, services, body.csrf)) {
          throw new PylonError('forbidden', {
            message: 'The form is missing its CSRF token; reload the page',
          });
        }
        const decision = decideBootstrap({
          env: config.env,
          configuredEmail: config.bootstrapAdminEmail,
          addressedOrg: c.get('orgId'),
          defaultOrg: config.orgId,
          email: caller.email,
          emailVerified: auth.emailVerified,
          open: await claimIsOpen(services, admins),
        });
        if (decision.kind === 'refuse')
          throw new PylonError('not_bootstrap_email', { message: REFUSALS[decision.reason] });
        const consumed = () => new PylonError('bootstrap_consumed');
        if (decision.kind === 'consumed') throw consumed();
        try {
          await consumeBootstrap(c, context, { userId: caller.userId, email: caller.email });
        } catch (error) {
          if (isUniqueViolation(error)) throw consumed();
          throw error;
        }
        if ((c.req.header('accept') ?? '').includes('text/html'))
          return c.redirect(`${pageBase(c)}/bootstrap`, 303);
        return c.json({ email: caller.email, archetype: 'pylon-admin' as const });
      },
    }),
  ];
}

/**
 * The start-up line telling an operator how to become the first admin, or null once anyone
 * administers the deployment. Names no secret: the configured address is the operator's own.
 */
export async function firstAdminHint(services: Services): Promise<string | null> {
  if (await deploymentAdmins(services).exist()) return null;
  const { config } = services;
  if (config.bootstrapAdminEmail !== null) {
    return `No admin yet: sign in as ${config.bootstrapAdminEmail} (pylon login --org-url ${config.publicURL}), then run \`pylon bootstrap\` or open ${config.publicURL}/bootstrap`;
  }
  if (config.env === 'development') {
    return `No admin yet: sign in and claim admin at ${config.publicURL}/bootstrap (development mode: the first verified sign-in may claim it; or run \`pylon bootstrap\`)`;
  }
  return 'No admin yet: set PYLON_BOOTSTRAP_ADMIN_EMAIL to your address, restart, sign in as that address, then run `pylon bootstrap`';
}
