import { readFileSync } from 'node:fs';
import { hashEmail, parseSchemaSource, prepareSchema } from '@pylon/core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { manualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/config.js';
import { features } from '../../src/features/index.js';
import { OrgStore } from '../../src/features/orgs/org-store.js';
import { createServer, type PylonServer } from '../../src/server.js';
import type { Storage } from '../../src/storage/database.js';
import { type ScratchDatabase, testDatabases } from '../support/databases.js';
import { recordingMailer, TEST_SECRET } from '../support/server.js';
import type { Body } from './call.js';

const ADMIN = 'admin-token-for-capability-cache-0123456789';
const conformance = new URL('../../../core/test/fixtures/schema-prepare/', import.meta.url);
const REFERENCE_PREPARED = readFileSync(new URL('reference.prepared.json', conformance), 'utf8');
const REFERENCE_BARE = readFileSync(new URL('reference.bare.yaml', conformance), 'utf8');

/** The reference schema with `user` shrunk to reading: destructive, so it waits for approval. */
function destructiveEdit(): string {
  const bare = parseSchemaSource(REFERENCE_BARE);
  bare.version_tag = '0.2.0';
  bare.archetypes = bare.archetypes.map((a) =>
    a.name === 'user' ? { ...a, capabilities: ['world.read'] } : a,
  );
  return prepareSchema(stringify(bare), 'example', { cliVersion: '0.0.0-test' });
}

// Two Pylon servers on one database, each with its own connection (pool) and its own in-memory
// capability cache, as two processes have: every change is made through A, and the very next
// `POST /token` on B, whose cache holds the answer from before the change, must see it.
describe.each(testDatabases)('capability cache across two processes on $kind', (database) => {
  let scratch: ScratchDatabase;
  const storages: Storage[] = [];
  const servers: PylonServer[] = [];
  const clock = manualClock(Date.UTC(2026, 10, 25, 12));
  let a: PylonServer;
  let b: PylonServer;

  beforeAll(async () => {
    scratch = await database.create();
    const config = loadConfig({
      PYLON_SECRET: TEST_SECRET,
      PYLON_DATABASE_URL: scratch.config.url,
      PYLON_LOG_LEVEL: 'silent',
      PYLON_ADMIN_TOKEN: ADMIN,
      PYLON_RATE_LIMIT_SIGN_INS_PER_IP_MINUTE: '1000000',
      PYLON_DISABLE_HIBP: '1',
    });
    for (let i = 0; i < 2; i++) {
      const storage = await scratch.openMigrated();
      const server = createServer(
        config,
        { storage, logger: pino({ level: 'silent' }), clock, mailer: recordingMailer([]) },
        features(config),
      );
      await server.prepare();
      storages.push(storage);
      servers.push(server);
    }
    [a, b] = servers as [PylonServer, PylonServer];
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    for (const storage of storages) await storage.close();
    await scratch?.drop();
  });

  const call = async (
    server: PylonServer,
    method: string,
    path: string,
    options: { token?: string; appToken?: string; body?: unknown; raw?: string } = {},
  ) => {
    const response = await server.app.request(path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.appToken ? { 'x-pylon-app-token': options.appToken } : {}),
      },
      ...(options.raw !== undefined
        ? { body: options.raw }
        : options.body === undefined
          ? {}
          : { body: JSON.stringify(options.body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };
  const admin = (method: string, path: string, body?: unknown) =>
    call(a, method, path, { token: ADMIN, body });
  const signIn = async (email: string) => {
    clock.advance(61_000);
    const sent = await call(a, 'POST', '/api/auth/magic/send', { body: { email } });
    const verified = await call(a, 'POST', '/api/auth/magic/verify', {
      body: { email, code: sent.body.dev_code },
    });
    expect(verified.status).toBe(200);
    return { email, token: verified.body.token as string, userId: verified.body.user_id as string };
  };
  /** B's answer to `POST /token`: the capabilities, or the error code. */
  const onB = async (token: string, appId: string, base = '') => {
    const minted = await call(b, 'POST', `${base}/token`, { token, body: { app_id: appId } });
    if (minted.status !== 200) return minted.body.error;
    const [, payload] = (minted.body.scoped_token as string).split('.');
    return (JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { caps: string[] }).caps;
  };
  /** B's answer twice: the second is served from its cache and must be the same. */
  const settledOnB = async (token: string, appId: string, base = '') => {
    const first = await onB(token, appId, base);
    expect(await onB(token, appId, base)).toEqual(first);
    return first;
  };

  /** B's `GET /whoami` archetype, asked twice (the second from its cache). */
  const archetypeOnB = async (token: string, base: string) => {
    const first = await call(b, 'GET', `${base}/whoami`, { token });
    expect(first.status).toBe(200);
    expect((await call(b, 'GET', `${base}/whoami`, { token })).body.archetype).toBe(first.body.archetype);
    return first.body.archetype;
  };

  let person: { email: string; token: string; userId: string };
  let appToken: string;

  it('an app registered on A is known on B; a grant, its change and its revoke show at once', async () => {
    person = await signIn(`person-${database.kind}@example.com`);
    expect(await settledOnB(person.token, 'example')).toBe('invalid_app_id');
    const registered = await admin('POST', '/apps', { name: 'example', owner: 'owner@example.com' });
    expect(registered.status).toBe(201);
    appToken = registered.body.app_token as string;
    // Neither a member of the org nor holding a grant in the app: no token at all.
    expect(await settledOnB(person.token, 'example')).toBe('not_a_member');
    const pushed = await call(a, 'POST', '/apps/example/schema', { appToken, raw: REFERENCE_PREPARED });
    expect(pushed.body).toEqual({ status: 'accepted', version: 1 });

    const grant = (archetype: string) =>
      admin('POST', '/roles', { email: person.email, app_id: 'example', archetype });
    expect((await grant('example:viewer')).status).toBe(200);
    expect(await settledOnB(person.token, 'example')).toEqual(['example:world.read']);
    expect((await grant('example:user')).status).toBe(200);
    expect(await settledOnB(person.token, 'example')).toEqual(['example:world.read', 'example:world.write']);
    const revoked = await admin('DELETE', `/roles/example/${hashEmail(person.email)}`);
    expect(revoked.status).toBe(200);
    expect(await settledOnB(person.token, 'example')).toBe('not_a_member');
  });

  it('a schema approval on A changes what the archetype expands to on B', async () => {
    await admin('POST', '/roles', { email: person.email, app_id: 'example', archetype: 'example:user' });
    expect(await settledOnB(person.token, 'example')).toEqual(['example:world.read', 'example:world.write']);
    const pushed = await call(a, 'POST', '/apps/example/schema', { appToken, raw: destructiveEdit() });
    expect(pushed.body).toMatchObject({ status: 'pending_approval', version: 2 });
    // Pending: tokens keep the current version's expansion.
    expect(await settledOnB(person.token, 'example')).toEqual(['example:world.read', 'example:world.write']);
    const approved = await admin('POST', '/apps/example/schema/approve-migration', { version: 2 });
    expect(approved.body).toMatchObject({ status: 'approved', version: 2 });
    expect(await settledOnB(person.token, 'example')).toEqual(['example:world.read']);
  });

  it('an app disabled on A stops minting on B; re-registered, it mints again', async () => {
    expect((await admin('DELETE', '/apps/example')).status).toBe(200);
    expect(await settledOnB(person.token, 'example')).toBe('app_disabled');
    const again = await admin('POST', '/apps', { name: 'example', owner: 'owner@example.com' });
    expect(again.status).toBe(200);
    expect(await settledOnB(person.token, 'example')).toEqual(['example:world.read']);
  });

  it('membership added, changed and removed on A shows in the pylon app on B', async () => {
    const owner = await signIn(`owner-${database.kind}@example.com`);
    const orgId = `team-${database.kind}`;
    const created = await call(a, 'POST', '/api/auth/orgs', {
      token: owner.token,
      body: { name: 'Team', id: orgId },
    });
    expect(created.status).toBe(201);
    const base = `/o/${orgId}`;
    const ADMIN_CAPS = [
      'pylon:app.manage',
      'pylon:audit.read',
      'pylon:role.manage',
      'pylon:schema.approve-migration',
    ];
    expect(await settledOnB(person.token, 'pylon', base)).toBe('not_a_member');
    expect(await archetypeOnB(person.token, base)).toBeNull();
    // Joining goes through an invite or SSO in production; the store method is the one write path.
    const orgs = new OrgStore(storages[0]!.db, database.kind);
    await storages[0]!.db
      .transaction()
      .execute((trx) => orgs.addMember(trx, orgId, person.userId, 'admin', clock.now()));
    expect(await settledOnB(person.token, 'pylon', base)).toEqual(ADMIN_CAPS);
    expect(await archetypeOnB(person.token, base)).toBe('pylon-admin');
    const demoted = await call(a, 'PUT', `/api/auth/orgs/${orgId}/members/${person.userId}`, {
      token: owner.token,
      body: { role: 'member' },
    });
    expect(demoted.status).toBe(200);
    expect(await settledOnB(person.token, 'pylon', base)).toEqual([]);
    expect(await archetypeOnB(person.token, base)).toBe('pylon-user');
    const removed = await call(a, 'DELETE', `/api/auth/orgs/${orgId}/members/${person.userId}`, {
      token: owner.token,
    });
    expect(removed.status).toBe(200);
    expect(await archetypeOnB(person.token, base)).toBeNull();
    expect(await settledOnB(person.token, 'pylon', base)).toBe('not_a_member');
  });

  it('membership added and removed on A decides on B whether someone without a grant may mint', async () => {
    const member = await signIn(`member-${database.kind}@example.com`);
    expect(await settledOnB(member.token, 'example')).toBe('not_a_member');
    const orgs = new OrgStore(storages[0]!.db, database.kind);
    await storages[0]!.db
      .transaction()
      .execute((trx) => orgs.addMember(trx, 'default', member.userId, 'member', clock.now()));
    expect(await settledOnB(member.token, 'example')).toEqual([]);
    await storages[0]!.db.transaction().execute((trx) => orgs.removeMember(trx, 'default', member.userId));
    expect(await settledOnB(member.token, 'example')).toBe('not_a_member');
  });

  it('a user disabled on A cannot mint on B; enabled again, their grant still counts', async () => {
    expect(await settledOnB(person.token, 'example')).toEqual(['example:world.read']);
    expect((await admin('POST', `/api/auth/users/${person.userId}/disable`)).status).toBe(200);
    expect(await onB(person.token, 'example')).toBe('no_session');
    expect((await admin('POST', `/api/auth/users/${person.userId}/enable`)).status).toBe(200);
    person = await signIn(person.email);
    expect(await settledOnB(person.token, 'example')).toEqual(['example:world.read']);
  });
});
