// POST /token on a small and a large database, each as a ratio to the hello-world baseline.
// The large one holds 1 000 apps and 100 000 grants: minting must cost the same there (indexed
// reads only, expansion from memory).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expandAllArchetypes } from '../../packages/core/dist/index.js';
import { measure, report, startPylon } from '../lib.mjs';

const PREPARED = readFileSync(
  new URL('../../packages/core/test/fixtures/schema-prepare/reference.prepared.json', import.meta.url),
  'utf8',
);
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** A signed-in person on a fresh server, with the `example` app and its schema, plus filler data. */
async function seededServer({ apps, grantsPerApp }) {
  const server = await startPylon({ PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '1000000' });
  const email = 'bench@example.com';
  // An emailed code: the RBAC surface serves only proven addresses (development returns the code).
  const post = (path, body) =>
    fetch(`${server.url}/api/auth${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then((response) => response.json());
  const { dev_code: code } = await post('/magic/send', { email });
  const { token } = await post('/magic/verify', { email, code });

  const db = new Database(join(server.dir, 'pylon.db'));
  db.pragma('busy_timeout = 5000');
  const prepared = JSON.parse(PREPARED);
  const expanded = Object.fromEntries(
    [...expandAllArchetypes(prepared)].map(([name, caps]) => [name, [...caps]]),
  );
  const insertApp = db.prepare(
    `insert into apps (org_id, id, name, owner, description, status, token_hash, current_version, pending_version, created_at, token_rotated_at)
     values ('default', ?, ?, 'bench', null, 'active', ?, 1, null, 0, 0)`,
  );
  const insertVersion = db.prepare(
    `insert into schema_versions (org_id, app_id, version, version_tag, prepared, expanded, pushed_by, pushed_at)
     values ('default', ?, 1, '0.1.0', ?, ?, 'bench', 0)`,
  );
  const insertGrant = db.prepare(
    `insert into grants (org_id, app_id, email_hash, email, archetype, capabilities, granted_at, granted_by)
     values ('default', ?, ?, null, ?, '[]', 0, 'bench')`,
  );
  db.transaction(() => {
    insertApp.run('example', 'example', sha256('example-token'));
    insertVersion.run('example', PREPARED, JSON.stringify(expanded));
    insertGrant.run('example', sha256(email), 'example:admin');
    for (let a = 0; a < apps; a++) {
      const appId = `filler-${a}`;
      insertApp.run(appId, appId, sha256(`token-${a}`));
      insertVersion.run(appId, PREPARED, JSON.stringify(expanded));
      for (let g = 0; g < grantsPerApp; g++)
        insertGrant.run(appId, sha256(`user-${a}-${g}@example.com`), 'example:user');
    }
    // Grants of other people in the measured app too, so its own index range is not trivially small.
    for (let g = 0; g < grantsPerApp; g++)
      insertGrant.run('example', sha256(`other-${g}@example.com`), 'example:user');
  })();
  db.close();
  return { server, token };
}

export async function run({ baseline }) {
  const request = (token) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ app_id: 'example' }),
  });
  const small = await seededServer({ apps: 1, grantsPerApp: 100 });
  const large = await seededServer({ apps: 1000, grantsPerApp: 100 });
  try {
    const base = await measure(`${baseline.url}/hello`);
    const smallRatio = report(
      'POST /token (100 grants)',
      base,
      await measure(`${small.server.url}/token`, request(small.token)),
    );
    const largeRatio = report(
      'POST /token (100 000 grants)',
      base,
      await measure(`${large.server.url}/token`, request(large.token)),
    );
    console.log(
      `${''.padEnd(28)} large/small ${(largeRatio / smallRatio).toFixed(2)} (1.00 = cost does not grow with the data)`,
    );
  } finally {
    small.server.stop();
    large.server.stop();
  }
}
