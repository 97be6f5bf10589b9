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
 * The password routes: sign-up, sign-in, change and reset, in the API (`/api/auth/password/*`) and
 * on the hosted pages. A deployment without passwords (`config.passwords`, false on Workers: Argon2id's
 * native binding does not run there and its pure-JS build costs over a second of CPU per hash inside
 * the one Durable Object every request goes through, docs/WORKERS.md) does not mount them: they
 * answer the surface's stable 404 rather than failing half-way.
 */
export function isPasswordRoute(surface: 'auth' | 'rbac', route: Pick<AnyRoute, 'path'>): boolean {
  if (surface === 'auth') return route.path === '/password' || route.path.startsWith('/password/');
  return PASSWORD_PAGES.has(route.path);
}

/**
 * The production feature table as on Node, less what the configuration does not offer: the
 * password routes when `config.passwords` is false, the same value the hosted pages read to leave
 * out their password forms and links, so the two cannot disagree.
 */
export function workersFeatures(config: Config): FeatureFactory[] {
  if (config.passwords) return features(config);
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
