import { readFileSync } from 'node:fs';
import { hashEmail, parseSchemaSource, prepareSchema } from '@pylon/core';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { testDatabases } from '../support/databases.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { rbacCaller } from './call.js';

const ADMIN = 'admin-token-for-rbac-tests-0123456789';
const BOSS = 'boss@example.com';
const conformance = new URL('../../../core/test/fixtures/schema-prepare/', import.meta.url);
const REFERENCE_PREPARED = readFileSync(new URL('reference.prepared.json', conformance), 'utf8');
const REFERENCE_BARE = readFileSync(new URL('reference.bare.yaml', conformance), 'utf8');

/** The reference schema edited: `viewer` removed and `user` shrunk to reading (destructive). */
function destructiveEdit(): string {
  const bare = parseSchemaSource(REFERENCE_BARE);
  bare.version_tag = '0.2.0';
  bare.archetypes = bare.archetypes
    .filter((a) => a.name !== 'viewer')
    .map((a) => (a.name === 'user' ? { ...a, capabilities: ['world.read'] } : a));
  return prepareSchema(stringify(bare), 'example', { cliVersion: '0.0.0-test' });
}

/** The reference schema with a capability and an archetype added (additive). */
function additiveEdit(): string {
  const bare = parseSchemaSource(REFERENCE_BARE);
  bare.version_tag = '0.1.1';
  bare.capabilities.push({ name: 'world.delete' });
  bare.archetypes.push({ name: 'janitor', capabilities: ['world.delete'] });
  return prepareSchema(stringify(bare), 'example', { cliVersion: '0.0.0-test' });
}

describe.each(testDatabases)('RBAC service on $kind', (database) => {
  let t: TestServer;
  let n = 0;
  const call = rbacCaller(() => t);
  const signIn = async (email: string) => {
    t.clock.advance(61_000);
    const sent = await call('POST', '/api/auth/magic/send', { body: { email } });
    const verified = await call('POST', '/api/auth/magic/verify', {
      body: { email, code: sent.body.dev_code },
    });
    return { email, token: verified.body.token as string, userId: verified.body.user_id as string };
  };
  const mint = async (token: string, appId: string, base = '') =>
    call('POST', `${base}/token`, { token, body: { app_id: appId } });
  const capsOf = async (token: string, appId: string) => {
    const minted = await mint(token, appId);
    expect(minted.status).toBe(200);
    const [, payload] = (minted.body.scoped_token as string).split('.');
    return (JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { caps: string[] }).caps;
  };

  let boss: { token: string; email: string; userId: string };
  let alice: { token: string; email: string; userId: string };
  let appToken: string;

  beforeAll(async () => {
    t = await startTestServer(database, {
      env: { PYLON_ADMIN_TOKEN: ADMIN, PYLON_BOOTSTRAP_ADMIN_EMAIL: BOSS },
    });
    boss = await signIn(BOSS);
    alice = await signIn(`alice-${++n}@example.com`);
  });
  afterAll(() => t.close());

  it('bootstrap: only the configured verified email, only once', async () => {
    expect((await call('POST', '/bootstrap', { token: alice.token })).body.error).toBe('not_bootstrap_email');
    expect((await call('POST', '/bootstrap')).body.error).toBe('no_session');
    expect((await call('GET', '/apps', { token: boss.token })).body.error).toBe('insufficient_capability');
    const claimed = await call('POST', '/bootstrap', { token: boss.token });
    expect(claimed.body).toEqual({ email: BOSS, archetype: 'pylon-admin' });
    const again = await call('POST', '/bootstrap', { token: boss.token });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('bootstrap_consumed');
    expect((await call('GET', '/whoami', { token: boss.token })).body).toMatchObject({
      email: BOSS,
      org_id: 'default',
      archetype: 'pylon-admin',
    });
  });

  it('apps: register (token shown once), list, refuse duplicates, slugs and the reserved id', async () => {
    const registered = await call('POST', '/apps', {
      token: boss.token,
      body: { name: 'example', owner: BOSS, description: 'Example' },
    });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({
      app_id: 'example',
      app_token: expect.stringMatching(/^pyat_[A-Za-z0-9_-]{43}$/),
    });
    appToken = registered.body.app_token as string;
    expect(
      (await call('POST', '/apps', { token: boss.token, body: { name: 'example', owner: BOSS } })).body.error,
    ).toBe('app_exists');
    expect(
      (await call('POST', '/apps', { token: boss.token, body: { name: 'pylon', owner: BOSS } })).body.error,
    ).toBe('invalid_app_id');
    expect(
      (await call('POST', '/apps', { token: boss.token, body: { name: 'Not A Slug', owner: BOSS } })).body
        .error,
    ).toBe('invalid_app_id');
    expect(
      (await call('POST', '/apps', { token: alice.token, body: { name: 'sneaky', owner: alice.email } }))
        .status,
    ).toBe(403);
    const listed = await call('GET', '/apps', { token: boss.token });
    expect(listed.body.apps).toEqual([
      {
        app_id: 'example',
        name: 'example',
        owner: BOSS,
        description: 'Example',
        status: 'active',
        created_at: t.clock.now(),
      },
    ]);
    // Only the raw rows show what is at rest.
    const stored = JSON.stringify(await t.storage.db.selectFrom('apps').selectAll().execute());
    expect(stored).not.toContain(appToken.slice(5));
  });

  it('schema push: app token required, namespace and shape checked, the reference accepted as version 1', async () => {
    const push = (body: string, token = appToken) =>
      call('POST', '/apps/example/schema', { appToken: token, raw: body });
    expect((await push(REFERENCE_PREPARED, 'pyat_wrong')).body.error).toBe('app_token_invalid');
    expect((await call('POST', '/apps/example/schema', { raw: REFERENCE_PREPARED })).status).toBe(401);
    const foreign = prepareSchema(REFERENCE_BARE, 'other', { cliVersion: '0.0.0-test' });
    const violation = await push(foreign);
    expect(violation.status).toBe(422);
    expect(violation.body.error).toBe('namespace_violation');
    const tampered = REFERENCE_PREPARED.replace('"Read worlds"', '"Read all worlds"');
    expect((await push(tampered)).body.error).toBe('invalid_schema');
    expect((await push('{"not":"a schema"}')).body.error).toBe('invalid_schema');
    const extraKey = JSON.stringify({ ...JSON.parse(REFERENCE_PREPARED), _signature: 'x' });
    expect((await push(extraKey)).body.error).toBe('invalid_schema');

    const accepted = await push(REFERENCE_PREPARED);
    expect(accepted.body).toEqual({ status: 'accepted', version: 1 });
    expect((await push(REFERENCE_PREPARED)).body).toEqual({ status: 'accepted', version: 1 });
    const current = await call('GET', '/apps/example/schema/current', { token: boss.token });
    expect(current.body).toMatchObject({ version: 1, version_tag: '0.1.0', pushed_by: 'app:example' });
    expect((current.body.archetypes as Array<{ name: string }>).map((a) => a.name)).toEqual([
      'example:admin',
      'example:user',
      'example:viewer',
    ]);
  });

  it('grants: validated against the current schema; the scoped token carries exactly the expansion', async () => {
    const grant = (body: Record<string, unknown>) => call('POST', '/roles', { token: boss.token, body });
    expect((await grant({ email: alice.email, app_id: 'example', archetype: 'example:nope' })).body).toEqual({
      error: 'invalid_archetype',
      message: 'example:nope is not an archetype of the current schema of example',
    });
    expect(
      (
        await grant({
          email: alice.email,
          app_id: 'example',
          archetype: 'example:user',
          capabilities: ['example:nope', 'ghost'],
        })
      ).body,
    ).toEqual({
      error: 'invalid_capability',
      message: 'not in the current schema of example: example:nope, example:ghost',
    });
    expect((await grant({ email: alice.email, app_id: 'ghost', archetype: 'x' })).body.error).toBe(
      'invalid_app_id',
    );
    expect(
      (await grant({ email: 'not-an-email', app_id: 'example', archetype: 'example:user' })).body.error,
    ).toBe('invalid_email');
    expect(
      (
        await call('POST', '/roles', {
          token: alice.token,
          body: { email: alice.email, app_id: 'example', archetype: 'example:admin' },
        })
      ).body.error,
    ).toBe('insufficient_capability');

    const granted = await grant({
      email: ` ${alice.email.toUpperCase()} `,
      app_id: 'example',
      archetype: 'example:user',
    });
    expect(granted.body).toEqual({
      email_hash: hashEmail(alice.email),
      app_id: 'example',
      archetype: 'example:user',
    });

    const minted = await mint(alice.token, 'example');
    expect(minted.body).toMatchObject({ ttl: 30, expires_at: t.clock.now() + 30_000 });
    const keys = (await (await t.request('/.well-known/pylon-keys')).json()) as { keys: object[] };
    const token = minted.body.scoped_token as string;
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', kid: expect.any(String) });
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys as never), {
      issuer: 'http://localhost:4000/o/default',
      audience: 'example',
      currentDate: new Date(t.clock.now()),
    });
    expect(payload).toEqual({
      iss: 'http://localhost:4000/o/default',
      aud: 'example',
      sub: alice.email,
      org: 'default',
      app: 'example',
      caps: ['example:world.read', 'example:world.write'],
      iat: Math.floor(t.clock.now() / 1000),
      nbf: Math.floor(t.clock.now() / 1000),
      exp: Math.floor(t.clock.now() / 1000) + 30,
      jti: expect.any(String),
    });
    const roles = await call('GET', '/roles?app_id=example', { token: boss.token });
    expect(roles.body.roles).toEqual([
      {
        email_hash: hashEmail(alice.email),
        email: alice.email,
        app_id: 'example',
        archetype: 'example:user',
        granted_at: t.clock.now(),
        granted_by: BOSS,
      },
    ]);
  });

  it('an additive push becomes current at once', async () => {
    const pushed = await call('POST', '/apps/example/schema', { appToken, raw: additiveEdit() });
    expect(pushed.body).toEqual({ status: 'accepted', version: 2 });
    await call('POST', '/roles', {
      token: boss.token,
      body: {
        email: alice.email,
        app_id: 'example',
        archetype: 'example:user',
        capabilities: ['example:world.delete'],
      },
    });
    expect(await capsOf(alice.token, 'example')).toEqual([
      'example:world.delete',
      'example:world.read',
      'example:world.write',
    ]);
  });

  it('a destructive push waits for approval while tokens keep the old capabilities; approval migrates grants', async () => {
    const bob = await signIn(`bob-${++n}@example.com`);
    await call('POST', '/roles', {
      token: boss.token,
      body: { email: bob.email, app_id: 'example', archetype: 'example:viewer' },
    });
    const dry = await call('POST', '/apps/example/schema/diff', {
      token: boss.token,
      raw: destructiveEdit(),
    });
    expect(dry.body).toMatchObject({
      current_version: 2,
      would: 'pending_approval',
      diff: { kind: 'destructive' },
    });

    const pushed = await call('POST', '/apps/example/schema', { appToken, raw: destructiveEdit() });
    expect(pushed.body).toMatchObject({
      status: 'pending_approval',
      version: 3,
      current_version: 2,
      diff: { kind: 'destructive' },
    });
    const changes = (pushed.body.diff as { changes: Array<{ type: string }> }).changes.map(
      (change) => change.type,
    );
    expect(changes).toEqual(expect.arrayContaining(['archetype_removed', 'archetype_caps_removed']));
    expect((await call('POST', '/apps/example/schema', { appToken, raw: additiveEdit() })).body.error).toBe(
      'schema_pending',
    );
    expect(await capsOf(alice.token, 'example')).toEqual([
      'example:world.delete',
      'example:world.read',
      'example:world.write',
    ]);
    expect(await capsOf(bob.token, 'example')).toEqual(['example:world.read']);

    expect(
      (
        await call('POST', '/apps/example/schema/approve-migration', {
          token: alice.token,
          body: { version: 3 },
        })
      ).body.error,
    ).toBe('insufficient_capability');
    expect(
      (
        await call('POST', '/apps/example/schema/approve-migration', {
          token: boss.token,
          body: { version: 9 },
        })
      ).body.error,
    ).toBe('nothing_pending');
    const approved = await call('POST', '/apps/example/schema/approve-migration', {
      token: boss.token,
      body: { version: 3 },
    });
    expect(approved.body).toEqual({ status: 'approved', version: 3, roles_migrated: 1 });
    // world.delete is gone from version 3, so the extra capability no longer counts.
    expect(await capsOf(alice.token, 'example')).toEqual(['example:world.read']);
    // Bob's grant went with its archetype; no member of the org, he holds nothing to mint from.
    expect((await mint(bob.token, 'example')).body.error).toBe('not_a_member');
    const listing = await call('GET', '/apps/example/schema', { token: boss.token });
    expect(listing.body).toMatchObject({ current_version: 3, pending_version: null });
    expect((listing.body.versions as unknown[]).length).toBe(3);
    // The approved version also took world.delete out of alice's grant, said in the audit: a later
    // version adding the capability back (additive, accepted at once) does not hand it out again.
    const audit = await call('GET', '/audit?action=role.granted&since=0&limit=1000', { token: boss.token });
    const stripped = (audit.body.entries as Array<{ detail: Record<string, unknown> }>).at(-1)!;
    expect(stripped.detail).toMatchObject({
      removed_capabilities: ['example:world.delete'],
      reason: 'capabilities removed by schema migration',
      version: 3,
    });
    const readded = parseSchemaSource(REFERENCE_BARE);
    readded.version_tag = '0.3.0';
    readded.capabilities.push({ name: 'world.delete' });
    readded.archetypes = readded.archetypes
      .filter((a) => a.name !== 'viewer')
      .map((a) => (a.name === 'user' ? { ...a, capabilities: ['world.read'] } : a));
    const again = await call('POST', '/apps/example/schema', {
      appToken,
      raw: prepareSchema(stringify(readded), 'example', { cliVersion: '0.0.0-test' }),
    });
    expect(again.body).toMatchObject({ status: 'accepted', version: 4 });
    expect(await capsOf(alice.token, 'example')).toEqual(['example:world.read']);
    expect(
      (
        await call('POST', '/apps/example/schema/approve-migration', {
          token: boss.token,
          body: { version: 3 },
        })
      ).status,
    ).toBe(404);
  });

  it('a revoked grant counts no more at the next mint', async () => {
    const carol = await signIn(`carol-${++n}@example.com`);
    await call('POST', '/roles', {
      token: boss.token,
      body: { email: carol.email, app_id: 'example', archetype: 'example:admin' },
    });
    expect(await capsOf(carol.token, 'example')).toEqual([
      'example:policy.read',
      'example:policy.set',
      'example:world.read',
    ]);
    const revoked = await call('DELETE', `/roles/example/${hashEmail(carol.email)}`, { token: boss.token });
    expect(revoked.body).toEqual({ app_id: 'example', email_hash: hashEmail(carol.email), revoked: true });
    const refused = await mint(carol.token, 'example');
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('not_a_member');
    expect(
      (await call('DELETE', `/roles/example/${hashEmail(carol.email)}`, { token: boss.token })).body.error,
    ).toBe('grant_not_found');
  });

  it('a rotated app token is refused at once; a disabled app cannot mint', async () => {
    const rotated = await call('POST', '/apps/example/token/rotate', { token: boss.token });
    expect(rotated.body).toEqual({
      app_id: 'example',
      app_token: expect.stringMatching(/^pyat_/),
      rotated_at: t.clock.now(),
    });
    expect(
      (await call('POST', '/apps/example/schema', { appToken, raw: REFERENCE_PREPARED })).body.error,
    ).toBe('app_token_invalid');
    appToken = rotated.body.app_token as string;
    expect(
      (await call('POST', '/apps/example/schema/diff', { appToken, raw: destructiveEdit() })).status,
    ).toBe(200);

    const doomedApp = await call('POST', '/apps', {
      token: boss.token,
      body: { name: 'doomed', owner: BOSS },
    });
    expect((await call('GET', '/apps/doomed/schema/current', { token: boss.token })).body.error).toBe(
      'not_found',
    );
    expect((await call('DELETE', '/apps/doomed', { token: boss.token })).body).toEqual({
      app_id: 'doomed',
      status: 'disabled',
    });
    // Disabling it again answers the same and changes nothing, so it audits nothing.
    expect((await call('DELETE', '/apps/doomed', { token: boss.token })).body).toEqual({
      app_id: 'doomed',
      status: 'disabled',
    });
    const disables = await call('GET', '/audit?action=app.disabled&limit=1000', { token: ADMIN });
    expect(
      (disables.body.entries as Array<{ target: string }>).filter((e) => e.target === 'doomed'),
    ).toHaveLength(1);
    const doomedPush = await call('POST', '/apps/doomed/schema', {
      appToken: doomedApp.body.app_token as string,
      raw: prepareSchema(REFERENCE_BARE, 'doomed', { cliVersion: '0.0.0-test' }),
    });
    expect(doomedPush.status).toBe(403);
    expect(doomedPush.body.error).toBe('app_disabled');
    const disabled = await mint(alice.token, 'doomed');
    expect(disabled.status).toBe(403);
    expect(disabled.body.error).toBe('app_disabled');
    expect((await call('DELETE', '/apps/ghost', { token: boss.token })).body.error).toBe('app_not_found');
    expect((await call('POST', '/apps/ghost/token/rotate', { token: boss.token })).body.error).toBe(
      'app_not_found',
    );
  });

  it('/token errors: invalid_app_id, no_session, expired, org_mismatch; another org’s app is not this org’s', async () => {
    // Missing, malformed and unknown are one code, each with a message that says which.
    const missing = await mint(alice.token, '');
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: 'invalid_app_id', message: 'app_id is required' });
    for (const malformed of ['Example', 'a', '-example', 'example-', 'ex ample', 'x'.repeat(65)]) {
      const answer = await mint(alice.token, malformed);
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        error: 'invalid_app_id',
        message: 'app_id must be a slug: ^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$',
      });
    }
    const notString = await call('POST', '/token', { token: alice.token, body: { app_id: 7 } });
    expect(notString.status).toBe(400);
    expect(notString.body.error).toBe('invalid_app_id');
    const unknown = await mint(alice.token, 'ghost');
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ error: 'invalid_app_id', message: 'No such app in this org' });
    expect((await call('POST', '/token', { body: { app_id: 'example' } })).body.error).toBe('no_session');
    expect((await mint(`pylon_${'0'.repeat(64)}`, 'example')).body.error).toBe('no_session');

    // An app in another org: its id means nothing under this org's base, and the session bound to
    // that org is refused here.
    const other = await call('POST', '/api/auth/orgs', {
      token: alice.token,
      body: { name: 'Other', id: `other-${database.kind}` },
    });
    const otherBase = `/o/${other.body.id}`;
    expect((await call('POST', `${otherBase}/bootstrap`, { token: boss.token })).status).toBe(403);
    const registered = await call('POST', `${otherBase}/apps`, {
      token: alice.token,
      body: { name: 'elsewhere', owner: alice.email },
    });
    expect(registered.status).toBe(201);
    expect((await mint(alice.token, 'elsewhere')).body.error).toBe('invalid_app_id');
    expect((await mint(alice.token, 'elsewhere', otherBase)).status).toBe(200);
    await call('POST', '/api/auth/select-org', { token: alice.token, body: { orgId: other.body.id } });
    const mismatch = await mint(alice.token, 'example');
    expect(mismatch.status).toBe(401);
    expect(mismatch.body.error).toBe('org_mismatch');
    await call('POST', '/api/auth/select-org', { token: alice.token, body: { orgId: null } });

    const dave = await signIn(`dave-${++n}@example.com`);
    t.clock.advance(t.config.sessionTTLSeconds * 1000);
    const expired = await mint(dave.token, 'example');
    expect(expired.status).toBe(401);
    expect(expired.body.error).toBe('expired');
    boss = await signIn(BOSS);
    alice = await signIn(alice.email);
  });

  it('org owners and admins hold pylon-admin through membership; members pylon-user', async () => {
    const owned = await call('POST', '/api/auth/orgs', {
      token: alice.token,
      body: { name: 'Mine', id: `mine-${database.kind}` },
    });
    const base = `/o/${owned.body.id}`;
    expect((await call('GET', `${base}/whoami`, { token: alice.token })).body.archetype).toBe('pylon-admin');
    expect((await call('GET', `${base}/apps`, { token: alice.token })).status).toBe(200);
    // The default org: no membership, no grant.
    expect((await mint(alice.token, 'pylon')).body.error).toBe('not_a_member');
    const pylonCaps = await mint(alice.token, 'pylon', base);
    const [, payload] = (pylonCaps.body.scoped_token as string).split('.');
    expect((JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { caps: string[] }).caps).toEqual([
      'pylon:app.manage',
      'pylon:audit.read',
      'pylon:role.manage',
      'pylon:schema.approve-migration',
    ]);
  });

  it('an auditor grant in the pylon app reads the audit log and nothing else', async () => {
    const eve = await signIn(`eve-${++n}@example.com`);
    expect((await call('GET', '/audit', { token: eve.token })).body.error).toBe('insufficient_capability');
    await call('POST', '/roles', {
      token: boss.token,
      body: { email: eve.email, app_id: 'pylon', archetype: 'pylon-auditor' },
    });
    expect((await call('GET', '/audit?limit=1', { token: eve.token })).status).toBe(200);
    expect((await call('GET', '/apps', { token: eve.token })).body.error).toBe('insufficient_capability');
    expect((await call('GET', '/whoami', { token: eve.token })).body.archetype).toBe('pylon-auditor');
  });

  it('GET /audit pages with a cursor, filters by action, validates its inputs, and records every change', async () => {
    const first = await call('GET', '/audit?limit=2', { token: ADMIN });
    expect((first.body.entries as unknown[]).length).toBe(2);
    const next = await call('GET', `/audit?limit=2&cursor=${first.body.next_cursor}`, { token: ADMIN });
    expect(next.body.entries).not.toEqual(first.body.entries);
    const granted = await call('GET', '/audit?action=role.granted&limit=1000', { token: ADMIN });
    expect(
      (granted.body.entries as Array<{ action: string; org: string }>).every(
        (e) => e.action === 'role.granted' && e.org === 'default',
      ),
    ).toBe(true);
    expect((await call('GET', '/audit?limit=0', { token: ADMIN })).body.error).toBe('validation_failed');
    expect((await call('GET', '/audit?limit=1001', { token: ADMIN })).body.error).toBe('validation_failed');
    expect((await call('GET', '/audit?cursor=bogus', { token: ADMIN })).body.error).toBe('invalid_cursor');
    const all = await call('GET', '/audit?limit=1000', { token: ADMIN });
    const actions = new Set((all.body.entries as Array<{ action: string }>).map((e) => e.action));
    for (const action of [
      'bootstrap.consumed',
      'app.registered',
      'app.disabled',
      'app.token_rotated',
      'role.granted',
      'role.revoked',
      'schema.pushed',
      'schema.approved',
    ]) {
      expect(actions, action).toContain(action);
    }
    const since = await call('GET', `/audit?since=${t.clock.now() + 1}`, { token: ADMIN });
    expect(since.body.entries).toEqual([]);
  });
});
