import type { Config } from '../config/config.js';
import type { Feature } from '../server.js';

/**
 * The features a production server runs, in caller-resolution order (CONTRACT §1: admin token,
 * API key, external JWT, session). Identity, orgs, RBAC and SSO register here as they land.
 */
export function features(_config: Config): Feature[] {
  return [];
}
