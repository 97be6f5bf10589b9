import { expect, it } from 'vitest';
import { secureRandom } from '../../../src/crypto/random.js';
import { ClientStore } from '../../../src/features/oauth-server/client-store.js';
import { CODE_TTL_MS, CodeStore } from '../../../src/features/oauth-server/code-store.js';
import { ConsentStore } from '../../../src/features/oauth-server/consent-store.js';
import type { Grant } from '../../../src/features/oauth-server/grant.js';
import { PURGE_AFTER_MS, RefreshStore } from '../../../src/features/oauth-server/refresh-store.js';
import { onEveryDatabase, seedOrg, seedUser, T0 } from './harness.js';

const DAY = 24 * 3600_000;

onEveryDatabase('OAuth server stores', (backend) => {
  const db = () => backend.storage().db;
  const grantFor = async (): Promise<Grant> => ({
    orgId: await seedOrg(backend.storage()),
    clientId: 'pyc_client',
    userId: await seedUser(backend.storage()),
    consentId: null,
    resource: 'https://notes.example.com/mcp',
    scope: 'openid',
    authTime: T0 / 1000,
    amr: ['otp'],
  });

  it('a code is stored hashed, exchanged once (then reported as replayed), in its org, before it expires', async () => {
    const codes = new CodeStore(db(), secureRandom);
    const grant = await grantFor();
    const input = { ...grant, redirectURI: 'http://127.0.0.1/cb', codeChallenge: 'c'.repeat(43), nonce: 'n' };
    const code = await codes.issue(input, T0);
    const row = await db()
      .selectFrom('oauth_codes')
      .selectAll()
      .where('org_id', '=', grant.orgId)
      .executeTakeFirst();
    expect(JSON.stringify(row)).not.toContain(code);
    expect((await codes.consume('other-org', code, T0 + 1)).kind).toBe('invalid');
    const first = await codes.consume(grant.orgId, code, T0 + 1);
    expect(first).toMatchObject({ kind: 'ok', code: { ...input, familyId: expect.stringMatching(/^fam_/) } });
    const again = await codes.consume(grant.orgId, code, T0 + 2);
    expect(again).toEqual({ kind: 'replayed', familyId: first.kind === 'ok' ? first.code.familyId : '' });
    const late = await codes.issue(input, T0);
    expect((await codes.consume(grant.orgId, late, T0 + CODE_TTL_MS)).kind).toBe('invalid');
    expect((await codes.consume(grant.orgId, `${late}x`, T0)).kind).toBe('invalid');
  });

  it('two processes exchanging one code at once: exactly one wins', async () => {
    const grant = await grantFor();
    const code = await new CodeStore(db(), secureRandom).issue(
      { ...grant, redirectURI: 'http://127.0.0.1/cb', codeChallenge: 'c'.repeat(43), nonce: null },
      T0,
    );
    const answers = await Promise.all([
      new CodeStore(db(), secureRandom).consume(grant.orgId, code, T0 + 1),
      new CodeStore(backend.other().db, secureRandom).consume(grant.orgId, code, T0 + 1),
    ]);
    expect(answers.map((answer) => answer.kind).sort()).toEqual(['ok', 'replayed']);
  });

  it('refresh tokens rotate; a reused one revokes the family; they belong to one client', async () => {
    const tokens = new RefreshStore(db(), backend.storage().dialect, secureRandom, DAY);
    const grant = await grantFor();
    const first = await tokens.issue(grant, 'fam_a', T0);
    const row = await db()
      .selectFrom('oauth_refresh_tokens')
      .selectAll()
      .where('family_id', '=', 'fam_a')
      .executeTakeFirst();
    expect(JSON.stringify(row)).not.toContain(first);
    expect((await tokens.rotate(grant.orgId, 'pyc_other', first, T0 + 1)).kind).toBe('invalid');
    const second = await tokens.rotate(grant.orgId, grant.clientId, first, T0 + 1);
    expect(second).toMatchObject({ kind: 'ok', grant, familyId: 'fam_a' });
    const next = second.kind === 'ok' ? second.token : '';
    expect((await tokens.rotate(grant.orgId, grant.clientId, first, T0 + 2)).kind).toBe('reused');
    // The reuse revoked the family: its successor is refused as revoked.
    expect((await tokens.rotate(grant.orgId, grant.clientId, next, T0 + 3)).kind).toBe('revoked');
    const expiring = await tokens.issue(grant, 'fam_b', T0);
    expect((await tokens.rotate(grant.orgId, grant.clientId, expiring, T0 + DAY)).kind).toBe('invalid');
    const revocable = await tokens.issue(grant, 'fam_c', T0);
    expect(await tokens.revoke(grant.orgId, 'pyc_other', revocable, T0)).toBe(false);
    expect(await tokens.revoke(grant.orgId, grant.clientId, revocable, T0)).toBe(true);
    expect((await tokens.rotate(grant.orgId, grant.clientId, revocable, T0 + 1)).kind).toBe('revoked');
    // Revoked, whichever way: for a person (a reset, the first proof of their address) too.
    // Only live ones are counted: not the expired, rotated or revoked tokens above.
    const person = await tokens.issue(grant, 'fam_d', T0 + DAY / 2);
    const revoked = await db()
      .transaction()
      .execute((trx) => tokens.revokeForUser(trx, grant.userId, T0 + DAY));
    expect(revoked).toBe(1);
    expect((await tokens.rotate(grant.orgId, grant.clientId, person, T0 + DAY + 1)).kind).toBe('revoked');
  });

  it('a new family sweeps tokens expired for longer than a day, and only those', async () => {
    const tokens = new RefreshStore(db(), backend.storage().dialect, secureRandom, DAY);
    const grant = await grantFor();
    const stale = await tokens.issue(grant, 'fam_stale', T0);
    const recent = await tokens.issue(grant, 'fam_recent', T0 + PURGE_AFTER_MS);
    const rotated = await tokens.rotate(grant.orgId, grant.clientId, recent, T0 + PURGE_AFTER_MS + 1);
    expect(rotated.kind).toBe('ok');
    // Both expired by now; only the first for longer than the margin.
    const now = T0 + DAY + PURGE_AFTER_MS + 1;
    await tokens.startFamily(grant, 'fam_new', now);
    const families = await db()
      .selectFrom('oauth_refresh_tokens')
      .select('family_id')
      .where('family_id', 'in', ['fam_stale', 'fam_recent', 'fam_new'])
      .orderBy('family_id')
      .execute();
    expect(families.map((row) => row.family_id)).toEqual(['fam_new', 'fam_recent', 'fam_recent']);
    // Within the margin a reused token still revokes its family; a swept one is simply unknown.
    expect((await tokens.rotate(grant.orgId, grant.clientId, recent, now)).kind).toBe('reused');
    expect((await tokens.rotate(grant.orgId, grant.clientId, stale, now)).kind).toBe('invalid');
  });

  it('a consent is one row per (person, client, resource); revoking it revokes its refresh tokens', async () => {
    const consents = new ConsentStore(db(), secureRandom);
    const grant = await grantFor();
    const base = {
      orgId: grant.orgId,
      userId: grant.userId,
      clientId: 'pyc_client',
      resource: grant.resource!,
    };
    const first = await consents.remember({ ...base, clientName: 'Notes', scope: 'openid', now: T0 });
    const widened = await consents.remember({
      ...base,
      clientName: 'Notes 2',
      scope: 'openid email',
      now: T0 + 5,
    });
    expect(widened).toEqual({ ...first, clientName: 'Notes 2', scope: 'openid email' });
    expect(await consents.list(grant.orgId, grant.userId)).toEqual([widened]);
    expect(await consents.find(grant.orgId, grant.userId, 'pyc_client', 'https://other.example/')).toBeNull();
    const token = await new RefreshStore(db(), backend.storage().dialect, secureRandom, DAY).issue(
      { ...grant, consentId: first.id },
      'fam_d',
      T0,
    );
    const stranger = await seedUser(backend.storage());
    expect(await consents.revoke(grant.orgId, stranger, first.id, T0)).toBe(false);
    expect(await consents.revoke(grant.orgId, grant.userId, first.id, T0)).toBe(true);
    expect(await consents.list(grant.orgId, grant.userId)).toEqual([]);
    const rotated = await new RefreshStore(db(), backend.storage().dialect, secureRandom, DAY).rotate(
      grant.orgId,
      grant.clientId,
      token,
      T0 + 1,
    );
    expect(rotated.kind).toBe('revoked');
  });

  it('codes do not outlive their grant: a revoked consent or a person revoked discards them (RFC 6749 §10.5)', async () => {
    const codes = new CodeStore(db(), secureRandom);
    const tokens = new RefreshStore(db(), backend.storage().dialect, secureRandom, DAY);
    const consents = new ConsentStore(db(), secureRandom);
    const grant = await grantFor();
    const consent = await consents.remember({
      orgId: grant.orgId,
      userId: grant.userId,
      clientId: grant.clientId,
      clientName: 'Notes',
      resource: grant.resource!,
      scope: 'openid',
      now: T0,
    });
    const issue = (consentId: string | null) =>
      codes.issue(
        {
          ...grant,
          consentId,
          redirectURI: 'http://127.0.0.1/cb',
          codeChallenge: 'c'.repeat(43),
          nonce: null,
        },
        T0,
      );
    const exchanged = await issue(consent.id);
    const redeemed = await codes.consume(grant.orgId, exchanged, T0 + 1);
    const pending = await issue(consent.id);
    expect(await consents.revoke(grant.orgId, grant.userId, consent.id, T0 + 2)).toBe(true);
    expect((await codes.consume(grant.orgId, pending, T0 + 3)).kind).toBe('invalid');
    // The exchanged one is still known, so its replay is still recognised.
    expect((await codes.consume(grant.orgId, exchanged, T0 + 3)).kind).toBe('replayed');
    // A code exchanged just before the revocation starts no family under the consent gone since.
    expect(redeemed.kind).toBe('ok');
    if (redeemed.kind === 'ok')
      expect(await tokens.startFamily(redeemed.code, 'fam_gone', T0 + 3)).toBeNull();

    const beforeReset = await issue(null);
    const revoked = await db()
      .transaction()
      .execute((trx) => tokens.revokeForUser(trx, grant.userId, T0 + 4));
    expect(revoked).toBe(0);
    expect((await codes.consume(grant.orgId, beforeReset, T0 + 5)).kind).toBe('invalid');
  });

  it('clients belong to their org; a secret is shown once and kept only as a hash', async () => {
    const clients = new ClientStore(db(), secureRandom);
    const org = await seedOrg(backend.storage());
    const { client, secret } = await clients.create({
      orgId: org,
      clientName: 'Wiki',
      redirectURIs: ['https://wiki.example.com/cb'],
      confidential: true,
      origin: 'admin',
      now: T0,
    });
    expect(secret).toMatch(/^pycs_/);
    expect(client).toMatchObject({ clientName: 'Wiki', idTokenAlg: 'RS256', origin: 'admin', createdAt: T0 });
    const row = await db()
      .selectFrom('oauth_clients')
      .selectAll()
      .where('client_id', '=', client.clientId)
      .executeTakeFirst();
    expect(JSON.stringify(row)).not.toContain(secret!);
    expect(await clients.find('another-org', client.clientId)).toBeNull();
    expect(await clients.find(org, client.clientId)).toEqual(client);
    expect(await clients.list(org)).toEqual([client]);
    expect(await clients.remove('another-org', client.clientId)).toBe(false);
    expect(await clients.remove(org, client.clientId)).toBe(true);
    expect(await clients.list(org)).toEqual([]);
  });
});
