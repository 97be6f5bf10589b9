import { describe, expect } from 'vitest';
import { ADMIN, pylonCliCompatSuite } from '../rbac/pylon-cli-compat.suite.js';
import { startWorker } from './support/worker.js';

/**
 * The pylon-cli 0.3.1 contract suite that runs in-process on SQLite and PostgreSQL
 * (rbac/pylon-cli-compat.test.ts), here against the Worker bundle in miniflare: one suite, two
 * targets. The Worker's clock is real, so its limits on sign-ins per address are set out of reach.
 */
describe('pylon-cli 0.3.1 against the RBAC service on Cloudflare Workers', () => {
  pylonCliCompatSuite(async () => {
    const worker = await startWorker({
      PYLON_ADMIN_TOKEN: ADMIN,
      PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '1000000',
      PYLON_RATE_LIMIT_GUESTS_PER_IP_MINUTE: '1000000',
      PYLON_RATE_LIMIT_REGISTRATIONS_PER_IP_HOUR: '1000000',
    });
    return {
      kind: 'worker',
      request: worker.request,
      advance: async () => {},
      now: () => expect.any(Number),
      close: worker.close,
    };
  });
});
