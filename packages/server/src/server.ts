import { PylonError } from '@pylon/core';
import { Hono } from 'hono';
import { BackgroundWork } from './background.js';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config/config.js';
import { DEFAULTS } from './config/defaults.js';
import { pooledSecureRandom, type Random } from './crypto/random.js';
import { createSealer } from './crypto/seal.js';
import { OrgDirectory } from './features/orgs/org-directory.js';
import { adminTokenResolver } from './http/admin-token.js';
import { type AppEnv, type Services, surfaceOf } from './http/context.js';
import { corsPreflights } from './http/cors.js';
import { createDirectLane, type DirectLane, ORG_PREFIX } from './http/direct-lane.js';
import { logFailure, renderError } from './http/errors.js';
import type { Feature, FeatureFactory } from './http/feature.js';
import { accessLog } from './http/middleware/access-log.js';
import { requestId, requestIds } from './http/middleware/request-id.js';
import { securityHeaders } from './http/middleware/security-headers.js';
import { buildOpenAPIDocument, type OpenAPIMount } from './http/openapi.js';
import { orgHostRouting } from './http/org-hosts.js';
import { type AnyRoute, mountRoutes, type RouteGroup } from './http/route-table.js';
import type { Logger } from './logger.js';
import { createConsoleMailer, type Mailer } from './mail/mailer.js';
import { createMetrics, type Metrics } from './metrics/metrics.js';
import { observeStorage, requestMetrics } from './metrics/request-metrics.js';
import { browserNotFound, wantsHTML } from './pages/not-found-page.js';
import { createPasswordHasher, type PasswordHasher } from './platform/password.js';
import { intervalScheduler, type Scheduler } from './scheduler.js';
import { KeyRing } from './signing/signing-keys.js';
import type { Storage } from './storage/database.js';

export const PYLON_VERSION = '0.1.0';

export interface ServerDeps {
  storage: Storage;
  logger: Logger;
  clock?: Clock;
  random?: Random;
  mailer?: Mailer;
  fetch?: typeof fetch;
  /** Prometheus metrics; by default a registry of this server's own. */
  metrics?: Metrics;
  /** Periodic work (audit upkeep); by default process timers (scheduler.ts). */
  scheduler?: Scheduler;
  /** Argon2id for passwords; by default the documented parameters with no bound of its own on concurrency. */
  passwordHasher?: PasswordHasher;
}

export type { Feature, FeatureFactory } from './http/feature.js';

export interface PylonServer {
  app: Hono<AppEnv>;
  services: Services;
  /**
   * The request handler. `env` is what the runtime adapter passes (on Node, the socket via
   * `{incoming}`): it must reach the app, or the client address is lost.
   */
  fetch(request: Request, env?: unknown): Promise<Response>;
  /**
   * On Node, tried before `fetch` for every request (platform/listen.ts): answers the hot routes'
   * plain requests itself and declines the rest (http/direct-lane.ts). Null when a feature runs
   * middleware of its own, which the direct lane would skip.
   */
  direct: DirectLane | null;
  /** Create what must exist before serving: the default org and a signing key. */
  prepare(): Promise<void>;
  /** Finish background work (queued writes); call before closing the storage. */
  close(): Promise<void>;
  /** Resolves when no background work is pending (mail sent, activity written). */
  idle(): Promise<void>;
}

/**
 * Build the Pylon HTTP application. Everything stateful comes from `deps`; two servers built in
 * one process share nothing.
 */
export function createServer(
  config: Config,
  deps: ServerDeps,
  factories: FeatureFactory[] = [],
): PylonServer {
  if (config.secret === null) throw new Error('createServer needs config.secret (see loadDevelopmentSecret)');
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? pooledSecureRandom();
  const sealer = createSealer(config.secret, random);
  const metrics = deps.metrics ?? createMetrics();
  observeStorage(deps.storage, metrics);
  const services: Services = {
    config,
    storage: deps.storage,
    clock,
    random,
    logger: deps.logger,
    mailer: deps.mailer ?? createConsoleMailer(deps.logger),
    fetch: deps.fetch ?? globalThis.fetch,
    sealer,
    keys: new KeyRing({
      db: deps.storage.db,
      sealer,
      clock,
      random,
      // A retired key stays published until the longest-lived token it signed has expired.
      policy: {
        tokenTTLSeconds: Math.max(
          DEFAULTS.scopedTokenTTLSeconds,
          config.jwtMinting.lifetimeSeconds,
          config.oauthServer.accessTokenTTLSeconds,
        ),
        skewSeconds: 60,
      },
      onSign: () => metrics.tokenMinted(),
    }),
    orgs: new OrgDirectory(deps.storage, clock),
    resolvers: [adminTokenResolver(config.adminToken, config.orgId)],
    onClose: [],
    background: new BackgroundWork(),
    metrics,
    scheduler: deps.scheduler ?? intervalScheduler,
    passwordHasher: deps.passwordHasher ?? createPasswordHasher(),
  };
  if (deps.metrics === undefined) services.onClose.push(async () => metrics.close());
  const features: Feature[] = factories.map((factory) => factory(services));
  services.resolvers.push(...features.flatMap((f) => f.resolvers ?? []));
  services.onClose.push(...features.flatMap((f) => f.onClose ?? []));

  // Each group with the CORS preflights of its `cors` routes (cors.ts), served and documented alike.
  const withPreflights = (routes: AnyRoute[]) => [...routes, ...corsPreflights(routes)];
  const authGroup: RouteGroup = {
    surface: 'auth',
    routes: withPreflights(features.flatMap((f) => f.authRoutes ?? [])),
  };
  const rbacGroup: RouteGroup = {
    surface: 'rbac',
    routes: withPreflights(features.flatMap((f) => f.rbacRoutes ?? [])),
  };

  const nextRequestId = requestIds(random);
  const app = new Hono<AppEnv>();
  app.use('*', requestId(nextRequestId));
  app.use('*', requestMetrics(metrics));
  app.use('*', async (c, next) => {
    c.set('surface', surfaceOf(c.req.path));
    c.set('orgId', config.orgId);
    c.set('brand', config.brand);
    await next();
  });
  app.use('*', accessLog(deps.logger, clock));
  app.use('*', securityHeaders({ https: config.publicURL.startsWith('https:') }));
  // An org at a host of its own (PYLON_ORG_HOSTS, PYLON_ORG_HOST_TEMPLATE) answers at that host's root.
  app.use('*', orgHostRouting(config, services.orgs));
  // RBAC routes for a non-default org: resolve the org once, before any route runs.
  app.use(`${ORG_PREFIX}/*`, async (c, next) => {
    const orgId = c.req.param('orgId') ?? '';
    if (!(await services.orgs.find(orgId))) throw new PylonError('org_not_found');
    c.set('orgId', orgId);
    await next();
  });
  for (const handler of features.flatMap((f) => f.middleware ?? [])) app.use('*', handler);

  const auth = new Hono<AppEnv>();
  mountRoutes(auth, authGroup, services);
  app.route('/api/auth', auth);

  const rbac = new Hono<AppEnv>();
  mountRoutes(rbac, rbacGroup, services);
  app.route('/', rbac);
  app.route(ORG_PREFIX, rbac);

  const openAPIRoute: AnyRoute = {
    method: 'get',
    path: '/openapi.json',
    summary: 'This OpenAPI 3.1 document',
    tags: ['operations'],
    responses: { 200: { description: 'The document' } },
    handler: (c) => c.json(document as object),
  };
  const mounts: OpenAPIMount[] = [
    { prefix: '', routes: [openAPIRoute] },
    { prefix: '/api/auth', routes: authGroup.routes },
    { prefix: '', routes: rbacGroup.routes },
    { prefix: '/o/{orgId}', routes: rbacGroup.routes, prefixParameters: ['orgId'] },
  ];
  const document = buildOpenAPIDocument(
    { title: 'Pylon', version: PYLON_VERSION, serverURL: config.publicURL },
    mounts,
  );
  mountRoutes(app, { surface: 'rbac', routes: [openAPIRoute] }, services);

  app.notFound((c) =>
    wantsHTML(c)
      ? browserNotFound(c)
      : renderError(
          c,
          new PylonError(c.get('surface') === 'rbac' ? 'not_found' : 'NOT_FOUND', {
            message: 'No such route',
          }),
        ),
  );
  app.onError((error, c) => {
    logFailure(deps.logger, c.get('requestId'), error);
    return renderError(c, error);
  });

  const direct = features.some((f) => (f.middleware?.length ?? 0) > 0)
    ? null
    : createDirectLane({
        services,
        nextRequestId,
        groups: [
          { surface: 'auth', prefix: '/api/auth', routes: authGroup.routes },
          { surface: 'rbac', prefix: '', routes: rbacGroup.routes },
          { surface: 'rbac', prefix: ORG_PREFIX, routes: rbacGroup.routes },
        ],
      });

  return {
    app,
    services,
    fetch: async (request, env) => app.fetch(request, env),
    direct,
    async close() {
      await services.background.idle();
      for (const hook of services.onClose) await hook();
    },
    idle: () => services.background.idle(),
    async prepare() {
      await services.orgs.ensureDefault(config.orgId, config.orgId === 'default' ? 'Default' : config.orgId);
      await services.keys.ensureKey();
    },
  };
}
