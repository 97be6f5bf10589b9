import type { MiddlewareHandler } from 'hono';
import type { CallerResolver } from './auth-context.js';
import type { AppEnv, Services } from './context.js';
import type { AnyRoute } from './route-table.js';

/**
 * A feature's contribution to the server: routes on either surface, caller resolvers, request
 * middleware and shutdown hooks. Declared beside the HTTP layer that mounts it, so features never import
 * server.ts and server.ts names no feature.
 */
export interface Feature {
  /** Mounted under `/api/auth`. */
  authRoutes?: AnyRoute[];
  /** Mounted at the root and under every org's base, `/o/{orgId}`. */
  rbacRoutes?: AnyRoute[];
  /** Tried after the admin token, in the order the feature table lists them; first match wins. */
  resolvers?: CallerResolver[];
  /**
   * Run before the routes of every request, in feature-table order, once the request's surface
   * and org are known: for a feature that acts on a request before its route does (the
   * Cloudflare Access gate signs a person in on the hosted pages). Each decides which requests it
   * touches and passes the rest on untouched.
   */
  middleware?: MiddlewareHandler<AppEnv>[];
  /** Run in order by PylonServer.close(), after background work has settled. */
  onClose?: Array<() => Promise<void>>;
}

/** Builds a feature from the server's services (stores need the database, clock, randomness). */
export type FeatureFactory = (services: Services) => Feature;
