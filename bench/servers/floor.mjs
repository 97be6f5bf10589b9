// The floor: the least a server must do to answer `GET /api/auth/me` and `POST /token`, hand-written
// on the stack Pylon uses (Hono on @hono/node-server, better-sqlite3, node:crypto Ed25519) with
// nothing else: read the bearer token, hash it, one indexed read of the session joined to its user
// (expiry checked), and for /token the JSON body and one Ed25519 signature over the claims
// Pylon's carry. No request id, security headers, logging, metrics, org hosts, CSRF, capability
// resolution or error catalogue. Pylon divided by this is the share of the cost that is Pylon's own
// layers rather than the work itself. Sends `{ port, token }` over IPC once it listens.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import Database from 'better-sqlite3';
import { Hono } from 'hono';

const db = new Database(join(mkdtempSync(join(tmpdir(), 'pylon-floor-')), 'floor.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec(`
  create table users (id text primary key, email text not null unique, email_verified_at integer);
  create table sessions (
    id text primary key, token_hash text not null unique, user_id text not null references users(id),
    created_at integer not null, expires_at integer not null
  );
`);
const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const token = `pylon_${randomBytes(24).toString('base64url')}`;
const now = Date.now();
db.transaction(() => {
  const user = db.prepare('insert into users (id, email, email_verified_at) values (?, ?, ?)');
  const session = db.prepare(
    'insert into sessions (id, token_hash, user_id, created_at, expires_at) values (?, ?, ?, ?, ?)',
  );
  for (let i = 0; i < 1000; i++) {
    user.run(`usr_${i}`, `person-${i}@example.com`, now);
    session.run(`ses_${i}`, sha256(i === 0 ? token : `other-${i}`), `usr_${i}`, now, now + 86_400_000);
  }
})();
const lookup = db.prepare(
  `select sessions.id, sessions.user_id, sessions.expires_at, users.email, users.email_verified_at
   from sessions join users on users.id = sessions.user_id where sessions.token_hash = ?`,
);

const { privateKey } = generateKeyPairSync('ed25519');
const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: 'floor', typ: 'JWT' })).toString('base64url');
// What the benchmark's `example:admin` grant expands to under the reference schema.
const CAPS = ['example:policy.read', 'example:policy.set', 'example:world.read', 'example:world.write'];

function session(c) {
  const authorization = c.req.header('authorization') ?? '';
  if (!authorization.startsWith('Bearer ')) return null;
  const row = lookup.get(sha256(authorization.slice(7)));
  return row && row.expires_at > Date.now() ? row : null;
}

const app = new Hono();
app.get('/api/auth/me', (c) => {
  const row = session(c);
  return c.json({
    userId: row?.user_id ?? null,
    email: row?.email ?? null,
    emailVerified: row ? row.email_verified_at !== null : false,
    isAdmin: false,
    isGuest: false,
    roles: [],
    tenantId: null,
    authMethod: row ? 'session' : 'anonymous',
  });
});
app.post('/token', async (c) => {
  const row = session(c);
  if (!row) return c.json({ error: 'no_session' }, 401);
  const body = await c.req.json();
  if (typeof body.app_id !== 'string') return c.json({ error: 'invalid_app_id' }, 400);
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'http://127.0.0.1',
    aud: body.app_id,
    sub: row.email,
    org: 'default',
    app: body.app_id,
    caps: CAPS,
    iat,
    nbf: iat,
    exp: iat + 30,
    jti: randomBytes(16).toString('base64url'),
  };
  const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = sign(null, Buffer.from(input), privateKey).toString('base64url');
  return c.json({ scoped_token: `${input}.${signature}`, ttl: 30, expires_at: (iat + 30) * 1000 });
});

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
  process.send?.({ port: info.port, token });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
