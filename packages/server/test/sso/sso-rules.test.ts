import { PylonError } from '@pylon/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pooledSecureRandom } from '../../src/crypto/random.js';
import { createSealer, type Sealer } from '../../src/crypto/seal.js';
import {
  checkEmailDomains,
  FREEMAIL_DOMAINS,
  isDomainAllowedFor,
  requireClaimableDomains,
  requireDefaultRole,
  requireSecureIdPURL,
  requireTrustedRedirect,
  ssoRedirectURI,
} from '../../src/features/sso/sso-rules.js';
import { trustedSSOEmail } from '../../src/features/sso/sso-sign-in.js';
import { SSOStore } from '../../src/features/sso/sso-store.js';
import type { Storage } from '../../src/storage/database.js';
import { type ScratchDatabase, testDatabases } from '../support/databases.js';

const codeOf = (run: () => unknown): string | null => {
  try {
    run();
    return null;
  } catch (error) {
    if (error instanceof PylonError) return error.code;
    throw error;
  }
};

describe('SSO domain rules', () => {
  it('refuses every listed freemail domain, exactly and case-insensitively, and nothing else', () => {
    expect(FREEMAIL_DOMAINS.size).toBe(29);
    for (const domain of FREEMAIL_DOMAINS) {
      expect(
        codeOf(() => checkEmailDomains([domain.toUpperCase()], null)),
        domain,
      ).toBe('DOMAIN_BLOCKLISTED');
    }
    // Exact match: a company's subdomain of a listed name, or a look-alike, is not on the list.
    expect(
      checkEmailDomains(['mail.gmail.com.acme.test', 'gmail.co', 'ACME.test', 'acme.test'], null),
    ).toEqual(['mail.gmail.com.acme.test', 'gmail.co', 'acme.test']);
  });

  it('applies PYLON_SSO_ALLOWED_DOMAINS when set, and refuses what is not a domain', () => {
    const allowed = [
      { domain: 'acme.test', org: null },
      { domain: 'bound.test', org: 'acme' },
    ];
    expect(codeOf(() => checkEmailDomains(['acme.test', 'other.test'], allowed))).toBe('DOMAIN_NOT_ALLOWED');
    expect(checkEmailDomains(['Acme.Test', 'bound.test'], allowed)).toEqual(['acme.test', 'bound.test']);
    expect(checkEmailDomains([], [])).toEqual([]);
    // Empty (production with the variable unset): nothing may be claimed.
    expect(codeOf(() => checkEmailDomains(['acme.test'], []))).toBe('DOMAIN_NOT_ALLOWED');
    for (const bad of ['acme', '@acme.test', 'acme.test/x', '*.acme.test', 'a..b', '']) {
      expect(
        codeOf(() => checkEmailDomains([bad], null)),
        bad,
      ).toBe('VALIDATION_FAILED');
    }
  });

  it('a bound entry allows its org only; a bare one any org; null (development, unset) anything', () => {
    const allowed = [
      { domain: 'acme.test', org: null },
      { domain: 'bound.test', org: 'acme' },
    ];
    expect(isDomainAllowedFor(allowed, 'beta', 'acme.test')).toBe(true);
    expect(isDomainAllowedFor(allowed, 'acme', 'bound.test')).toBe(true);
    expect(isDomainAllowedFor(allowed, 'beta', 'bound.test')).toBe(false);
    expect(isDomainAllowedFor(allowed, 'acme', 'other.test')).toBe(false);
    expect(isDomainAllowedFor([], 'acme', 'acme.test')).toBe(false);
    expect(isDomainAllowedFor(null, 'acme', 'anything.test')).toBe(true);
    expect(codeOf(() => requireClaimableDomains(allowed, 'beta', ['acme.test', 'bound.test']))).toBe(
      'DOMAIN_NOT_ALLOWED',
    );
    expect(codeOf(() => requireClaimableDomains(allowed, 'acme', ['acme.test', 'bound.test']))).toBeNull();
  });

  it('trusts an asserted email only when verified, valid as asserted, and in a claim the list still allows', () => {
    const assertion = { orgId: 'acme', emailVerified: true, emailDomains: ['acme.test', 'old.test'] };
    const allowed = [
      { domain: 'acme.test', org: 'acme' },
      { domain: 'old.test', org: 'beta' },
    ];
    const trusted = (email: string | null, extra = {}) =>
      trustedSSOEmail({ ...assertion, email, ...extra }, allowed);
    expect(trusted(' Kate@ACME.test ')).toBe('kate@acme.test');
    expect(trusted('kate@acme.test', { emailVerified: false })).toBeNull();
    expect(trusted(null)).toBeNull();
    for (const odd of [
      'kate@acme.test, x@b.test',
      'x@b.test, kate@acme.test',
      'kate@acme.test\r\nBcc: y@b.test',
      '\u212Aate@acme.test',
      'a,b;(c)@acme.test',
      'kate@acme.test>',
      'kate@@acme.test',
    ]) {
      expect(trusted(odd), JSON.stringify(odd)).toBeNull();
    }
    // Claimed by the org, but bound to another org now; outside its claims; the list emptied.
    expect(trusted('kate@old.test')).toBeNull();
    expect(trusted('kate@other.test')).toBeNull();
    expect(trustedSSOEmail({ ...assertion, email: 'kate@acme.test' }, [])).toBeNull();
    expect(trustedSSOEmail({ ...assertion, email: 'kate@old.test' }, null)).toBe('kate@old.test');
  });

  it('default_role: member or admin; owner refused', () => {
    expect(requireDefaultRole(undefined)).toBe('member');
    expect(requireDefaultRole('admin')).toBe('admin');
    expect(codeOf(() => requireDefaultRole('owner'))).toBe('BAD_DEFAULT_ROLE');
    expect(codeOf(() => requireDefaultRole('Admin'))).toBe('BAD_DEFAULT_ROLE');
  });

  it('IdP URLs: https; plain http only on loopback in development', () => {
    const dev = { env: 'development' as const };
    const prod = { env: 'production' as const };
    expect(requireSecureIdPURL('https://idp.example.com', prod, 'issuer_url').host).toBe('idp.example.com');
    expect(requireSecureIdPURL('http://127.0.0.1:9000', dev, 'issuer_url').port).toBe('9000');
    expect(codeOf(() => requireSecureIdPURL('http://127.0.0.1:9000', prod, 'issuer_url'))).toBe(
      'INSECURE_SSO_URL',
    );
    expect(codeOf(() => requireSecureIdPURL('http://idp.example.com', dev, 'issuer_url'))).toBe(
      'INSECURE_SSO_URL',
    );
    expect(codeOf(() => requireSecureIdPURL('http://127.0.0.1.evil.example', dev, 'x'))).toBe(
      'INSECURE_SSO_URL',
    );
    expect(codeOf(() => requireSecureIdPURL('ftp://idp.example.com', dev, 'x'))).toBe('INSECURE_SSO_URL');
    expect(codeOf(() => requireSecureIdPURL('not a url', dev, 'x'))).toBe('VALIDATION_FAILED');
  });

  it('callbacks: a trusted origin, or loopback in development only', () => {
    const config = { env: 'production' as const, trustedOrigins: ['https://app.example.com'] };
    expect(requireTrustedRedirect('https://app.example.com/done?x=1', config)).toBe(
      'https://app.example.com/done?x=1',
    );
    for (const bad of [
      'https://app.example.com.evil.example/',
      'https://evil.example/?https://app.example.com',
      'http://127.0.0.1:5173/done',
      'javascript:alert(1)',
      '/relative',
    ]) {
      expect(
        codeOf(() => requireTrustedRedirect(bad, config)),
        bad,
      ).toBe('UNTRUSTED_REDIRECT');
    }
    expect(requireTrustedRedirect('http://127.0.0.1:5173/done', { ...config, env: 'development' })).toBe(
      'http://127.0.0.1:5173/done',
    );
  });

  it('the redirect URI needs a usable PYLON_PUBLIC_URL (REDIRECT_URI_UNAVAILABLE otherwise)', () => {
    expect(ssoRedirectURI({ env: 'production', publicURL: 'https://auth.example.com' }, 'acme')).toBe(
      'https://auth.example.com/api/auth/orgs/acme/sso/callback',
    );
    expect(ssoRedirectURI({ env: 'development', publicURL: 'http://localhost:4000' }, 'acme')).toBe(
      'http://localhost:4000/api/auth/orgs/acme/sso/callback',
    );
    expect(ssoRedirectURI({ env: 'production', publicURL: 'http://auth.example.com' }, 'acme')).toBeNull();
    expect(ssoRedirectURI({ env: 'development', publicURL: '' }, 'acme')).toBeNull();
  });
});

describe.each(testDatabases)('SSOStore on $kind', (database) => {
  let scratch: ScratchDatabase;
  let storage: Storage;
  const random = pooledSecureRandom();
  const sealer = createSealer('b'.repeat(64), random);
  const oidc = (orgId: string, emailDomains: string[]) => ({
    orgId,
    issuerURL: 'https://idp.example.com',
    clientId: 'client',
    clientSecret: 'the-client-secret',
    defaultRole: 'member' as const,
    emailDomains,
    discovery: { issuer: 'https://idp.example.com' },
  });

  beforeAll(async () => {
    scratch = await database.create();
    storage = await scratch.openMigrated();
    for (const id of ['acme', 'rival']) {
      await storage.db.insertInto('orgs').values({ id, name: id, created_at: 0 }).execute();
    }
  });
  afterAll(async () => {
    await storage.close();
    await scratch.drop();
  });

  it('answers SSO_SECRET_SEAL_FAILED when the secret cannot be sealed, and stores nothing', async () => {
    const broken: Sealer = {
      keyId: 'broken',
      seal: () => {
        throw new Error('no key');
      },
      open: () => {
        throw new Error('no key');
      },
    };
    const store = new SSOStore(storage.db, random, broken, null);
    await expect(store.putOIDC(oidc('acme', ['acme.test']), 1)).rejects.toMatchObject({
      code: 'SSO_SECRET_SEAL_FAILED',
    });
    expect(await store.getOIDC('acme')).toBeNull();
    expect(await store.discover('acme.test')).toBeNull();
  });

  it('seals the secret bound to its row: moved to another org, it no longer opens', async () => {
    const store = new SSOStore(storage.db, random, sealer, null);
    await store.putOIDC(oidc('acme', ['acme.test']), 1);
    await store.putOIDC(oidc('rival', ['rival.test']), 1);
    expect(await store.openClientSecret('acme')).toBe('the-client-secret');
    const sealed = await storage.db
      .selectFrom('sso_connections')
      .select('client_secret_sealed')
      .where('org_id', '=', 'acme')
      .executeTakeFirstOrThrow();
    await storage.db
      .updateTable('sso_connections')
      .set({ client_secret_sealed: sealed.client_secret_sealed })
      .where('org_id', '=', 'rival')
      .execute();
    await expect(store.openClientSecret('rival')).rejects.toThrow();
  });

  it('a state is consumed once, only for its org, only before it expires', async () => {
    const store = new SSOStore(storage.db, random, sealer, null);
    const input = {
      orgId: 'acme',
      callback: 'https://app/done',
      errorCallback: 'https://app/err',
      ttlSeconds: 600,
    };
    const first = await store.createState({ ...input, now: 1_000 });
    expect(await store.consumeState('rival', first.state, 2_000)).toBeNull();
    expect(await store.consumeState('acme', first.state, 2_000)).toMatchObject({
      nonce: first.nonce,
      callback: 'https://app/done',
      errorCallback: 'https://app/err',
    });
    expect(await store.consumeState('acme', first.state, 2_000)).toBeNull();
    const late = await store.createState({ ...input, now: 1_000 });
    expect(await store.consumeState('acme', late.state, 1_000 + 600_000)).toBeNull();
  });
});
