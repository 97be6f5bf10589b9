import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { personAuditSelect } from '../../src/audit/audit-log.js';
import { testDatabases } from '../support/databases.js';

// SQLite plans without statistics, so its plan shows whether each branch of the person's OR has an
// index: a table scan here would be a scan of every audit entry on every `GET /api/auth/audit`.
describe('a person’s audit is read through indexes (SQLite query plan)', () => {
  it('uses an index for every branch, with and without an email', async () => {
    const scratch = await testDatabases[0]!.create();
    const storage = await scratch.openMigrated();
    try {
      for (const email of ['pat@example.com', null]) {
        const compiled = personAuditSelect(storage.db, { userId: 'usr_1', email, latest: false })
          .orderBy('ts', 'asc')
          .orderBy('id', 'asc')
          .limit(100)
          .compile();
        const plan = await sql
          .raw<{ detail: string }>(`EXPLAIN QUERY PLAN ${compiled.sql.replaceAll('?', () => "'x'")}`)
          .execute(storage.db);
        const details = plan.rows.map((row) => row.detail);
        expect(details.join('\n'), String(email)).not.toMatch(/SCAN audit_events(?! USING)/);
        expect(
          details.filter((detail) => /USING (COVERING )?INDEX/.test(detail)).length,
        ).toBeGreaterThanOrEqual(email === null ? 2 : 3);
      }
    } finally {
      await storage.close();
      await scratch.drop();
    }
  });
});
