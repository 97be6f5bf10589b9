// A signed-in person with the `example` app, its schema and an `example:admin` grant, plus filler
// apps and grants, written straight into a fresh Pylon database (SQLite or PostgreSQL).

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { expandAllArchetypes } from '../packages/core/dist/index.js';
import { startPylon } from './lib.mjs';

const PREPARED = readFileSync(
  new URL('../packages/core/test/fixtures/schema-prepare/reference.prepared.json', import.meta.url),
  'utf8',
);
const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const EXPANDED = JSON.stringify(
  Object.fromEntries([...expandAllArchetypes(JSON.parse(PREPARED))].map(([name, caps]) => [name, [...caps]])),
);
const APP = `insert into apps (org_id, id, name, owner, description, status, token_hash, current_version, pending_version, created_at, token_rotated_at)
  values ('default', $1, $1, 'bench', null, 'active', $2, 1, null, 0, 0)`;
const VERSION = `insert into schema_versions (org_id, app_id, version, version_tag, prepared, expanded, pushed_by, pushed_at)
  values ('default', $1, 1, '0.1.0', $2, $3, 'bench', 0)`;
const GRANT = `insert into grants (org_id, app_id, email_hash, email, archetype, capabilities, granted_at, granted_by)
  values ('default', $1, $2, null, $3, '[]', 0, 'bench')`;

/** POST JSON to the server's identity API. */
export const post = (server, path, body, headers = {}) =>
  fetch(`${server.url}/api/auth${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** Sign `email` in with an emailed code (development answers with it) and return the session token. */
export async function signIn(server, email) {
  const { dev_code: code } = await (await post(server, '/magic/send', { email })).json();
  const { token } = await (await post(server, '/magic/verify', { email, code })).json();
  return token;
}

function seedSqlite(file, email, apps, grantsPerApp) {
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  const positional = (text) =>
    text
      .replace(/\$1(?!\d)/g, '@a')
      .replace(/\$2/g, '@b')
      .replace(/\$3/g, '@c');
  const app = db.prepare(positional(APP));
  const version = db.prepare(positional(VERSION));
  const grant = db.prepare(positional(GRANT));
  db.transaction(() => {
    app.run({ a: 'example', b: sha256('example-token') });
    version.run({ a: 'example', b: PREPARED, c: EXPANDED });
    grant.run({ a: 'example', b: sha256(email), c: 'example:admin' });
    for (let a = 0; a < apps; a++) {
      const id = `filler-${a}`;
      app.run({ a: id, b: sha256(`token-${a}`) });
      version.run({ a: id, b: PREPARED, c: EXPANDED });
      for (let g = 0; g < grantsPerApp; g++)
        grant.run({ a: id, b: sha256(`user-${a}-${g}@example.com`), c: 'example:user' });
    }
    // Grants of other people in the measured app too, so its own index range is not trivially small.
    for (let g = 0; g < grantsPerApp; g++)
      grant.run({ a: 'example', b: sha256(`other-${g}@example.com`), c: 'example:user' });
  })();
  db.close();
}

async function seedPostgres(url, email, apps, grantsPerApp) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(APP, ['example', sha256('example-token')]);
    await client.query(VERSION, ['example', PREPARED, EXPANDED]);
    await client.query(GRANT, ['example', sha256(email), 'example:admin']);
    // The filler, generated in the server: the same rows as on SQLite.
    await client.query(
      `insert into apps (org_id, id, name, owner, description, status, token_hash, current_version, pending_version, created_at, token_rotated_at)
       select 'default', 'filler-' || a, 'filler-' || a, 'bench', null, 'active', encode(sha256(('token-' || a)::bytea), 'hex'), 1, null, 0, 0
       from generate_series(0, $1::int - 1) a`,
      [apps],
    );
    await client.query(
      `insert into schema_versions (org_id, app_id, version, version_tag, prepared, expanded, pushed_by, pushed_at)
       select 'default', 'filler-' || a, 1, '0.1.0', $2, $3, 'bench', 0 from generate_series(0, $1::int - 1) a`,
      [apps, PREPARED, EXPANDED],
    );
    await client.query(
      `insert into grants (org_id, app_id, email_hash, email, archetype, capabilities, granted_at, granted_by)
       select 'default', 'filler-' || a, encode(sha256(('user-' || a || '-' || g || '@example.com')::bytea), 'hex'), null, 'example:user', '[]', 0, 'bench'
       from generate_series(0, $1::int - 1) a, generate_series(0, $2::int - 1) g`,
      [apps, grantsPerApp],
    );
    await client.query(
      `insert into grants (org_id, app_id, email_hash, email, archetype, capabilities, granted_at, granted_by)
       select 'default', 'example', encode(sha256(('other-' || g || '@example.com')::bytea), 'hex'), null, 'example:user', '[]', 0, 'bench'
       from generate_series(0, $1::int - 1) g`,
      [grantsPerApp],
    );
    await client.query('commit');
    await client.query('analyze');
  } finally {
    await client.end();
  }
}

/**
 * A fresh server on `db` with a signed-in person, `apps` filler apps and `grantsPerApp` grants each;
 * `dist`, the server build to run (startPylon's).
 */
export async function seededServer({ db = 'sqlite', apps, grantsPerApp, dist }) {
  const server = await startPylon({ db, dist });
  const email = 'bench@example.com';
  const token = await signIn(server, email);
  if (db === 'sqlite') seedSqlite(server.sqliteFile, email, apps, grantsPerApp);
  else await seedPostgres(server.databaseURL, email, apps, grantsPerApp);
  return { server, token };
}

/** The `POST /token` request for the seeded person. */
export const tokenRequest = (token) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify({ app_id: 'example' }),
});
