import type { Services } from '../../http/context.js';
import type { Feature } from '../../http/feature.js';
import type { FeatureDeps } from '../deps.js';
import { peopleAuditRoutes } from './routes.js';

/** Audit for people (`GET /api/auth/audit`, `GET /api/auth/audit/tenant`), over the shared audit log. */
export function peopleAuditFeature(services: Services, { orgs }: FeatureDeps): Feature {
  return { authRoutes: peopleAuditRoutes(services, orgs) };
}
