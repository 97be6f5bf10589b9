import { describe } from 'vitest';
import { testDatabases } from '../support/databases.js';
import { startTestServer } from '../support/server.js';
import { ADMIN, pylonCliCompatSuite } from './pylon-cli-compat.suite.js';

describe.each(testDatabases)('pylon-cli 0.3.1 against the RBAC service on $kind', (database) => {
  pylonCliCompatSuite(async () => {
    const t = await startTestServer(database, { env: { PYLON_ADMIN_TOKEN: ADMIN } });
    return {
      kind: database.kind,
      request: t.request,
      advance: async (ms) => t.clock.advance(ms),
      now: () => t.clock.now(),
      close: t.close,
    };
  });
});
