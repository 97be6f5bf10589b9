import type { Config } from '../config/config.js';
import { features } from '../features/index.js';
import type { FeatureFactory } from '../http/feature.js';
import type { AnyRoute } from '../http/route-table.js';

/** The hosted pages that take or set a password (at the root and under `/o/{orgId}`). */
const PASSWORD_PAGES = new Set([
  '/signup',
  '/reset',
  '/reset/confirm',
  '/login/password',
  '/account/password',
]);

/**
 * Routes a Workers deployment does not mount: password sign-up, sign-in, change and reset, in the
 * API (`/api/auth/password/*`) and on the hosted pages. They need Argon2id, whose native binding
 * does not run on Workers and whose pure-JS build costs over a second of CPU per hash inside the
 * one Durable Object every request goes through (docs/WORKERS.md). Absent routes answer the
 * surface's stable 404 rather than failing half-way.
 */
export function isPasswordRoute(surface: 'auth' | 'rbac', route: Pick<AnyRoute, 'path'>): boolean {
  if (surface === 'auth') return route.path === '/password' || route.path.startsWith('/password/');
  return PASSWORD_PAGES.has(route.path);
}

/** The production feature table as on Node, less the routes Workers cannot serve. */
export function workersFeatures(config: Config): FeatureFactory[] {
  return features(config).map((factory) => (services) => {
    const feature = factory(services);
    return {
      ...feature,
      ...(feature.authRoutes && {
        authRoutes: feature.authRoutes.filter((route) => !isPasswordRoute('auth', route)),
      }),
      ...(feature.rbacRoutes && {
        rbacRoutes: feature.rbacRoutes.filter((route) => !isPasswordRoute('rbac', route)),
      }),
    };
  });
}
