// Peer: Better Auth (email and password, its jwt() plugin) on better-sqlite3, served on the same
// HTTP stack as Pylon (Hono on @hono/node-server). The benchmark measures `GET /api/auth/get-session`
// and the jwt() plugin's `GET /api/auth/token` with a session cookie. Its rate limiter is off, as
// Pylon's limits are raised in the bench; get-session does not also mint a JWT
// (`disableSettingJwtHeader`), so it is the plain session read that `GET /api/auth/me` is.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db';
import { jwt } from 'better-auth/plugins';
import Database from 'better-sqlite3';
import { Hono } from 'hono';

const dir = mkdtempSync(join(tmpdir(), 'bench-better-auth-'));
const database = new Database(join(dir, 'auth.db'));
database.pragma('journal_mode = WAL');

const app = new Hono();
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, async (info) => {
  const options = {
    baseURL: `http://127.0.0.1:${info.port}`,
    secret: 'bench-only-secret-0123456789abcdef0123456789abcdef',
    database,
    emailAndPassword: { enabled: true },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { disabled: true },
    plugins: [jwt({ disableSettingJwtHeader: true })],
  };
  const { runMigrations } = await getMigrations(options);
  await runMigrations();
  const auth = betterAuth(options);
  app.on(['GET', 'POST'], '/api/auth/*', (c) => auth.handler(c.req.raw));
  process.send?.({ port: info.port });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
