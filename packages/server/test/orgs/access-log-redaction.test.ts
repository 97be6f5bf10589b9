import { describe, expect, it } from 'vitest';
import { redactPath, redactQuery } from '../../src/http/middleware/access-log.js';

const TOKEN = 'pyinv_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd';

describe('access-log redaction', () => {
  it('redacts the secret segment of every templated path, under any prefix', () => {
    expect(redactPath(`/api/auth/invites/${TOKEN}/accept`)).toBe('/api/auth/invites/[redacted]/accept');
    expect(redactPath(`/invite/${TOKEN}.0123456789abcdef0123456789abcdef`)).toBe('/invite/[redacted]');
    expect(redactPath(`/invite/${TOKEN}/sign-out`)).toBe('/invite/[redacted]/sign-out');
    expect(redactPath(`/o/acme/invite/${TOKEN}/accept`)).toBe('/o/acme/invite/[redacted]/accept');
    // Not secrets: invite ids, org ids, app ids stay readable.
    expect(redactPath('/api/auth/orgs/acme/invites/inv_0123')).toBe('/api/auth/orgs/acme/invites/inv_0123');
    expect(redactPath('/o/acme/apps/notes/schema')).toBe('/o/acme/apps/notes/schema');
  });

  it('redacts our token shapes wherever they turn up, even in a path no template names', () => {
    expect(redactPath(`/api/auth/invites/${TOKEN}`)).toBe('/api/auth/invites/[redacted]');
    expect(redactPath(`/typo/pylon_${'ab'.repeat(32)}`)).toBe('/typo/[redacted]');
    expect(redactPath('/x/pyat_secretsecret')).toBe('/x/[redacted]');
  });

  it('redacts an API key sent in the query, under any name and whether well-formed or not', () => {
    const key = `pk.key_${'0a'.repeat(12)}.${'S3cr3t-_'.repeat(5)}abc`;
    expect(redactQuery(`?api_key=${key}`)).toBe('?api_key=[redacted]');
    expect(redactQuery(`?k=${encodeURIComponent(key)}&page=2`)).toBe('?k=[redacted]&page=2');
    expect(redactQuery('?key=pk.key_x.y')).toBe('?key=[redacted]');
    expect(redactPath(`/api/auth/${key}`)).toBe('/api/auth/[redacted]');
    // Not keys: a word that merely contains the letters stays readable.
    expect(redactQuery('?sort=desk.top&name=pkg')).toBe('?sort=desk.top&name=pkg');
  });

  it('redacts a JWT under any name, and the parameters that carry JOSE objects or PKCE secrets', () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJwYXQifQ.c2lnbmF0dXJl';
    expect(redactQuery(`?jwt=${jwt}&x=1`)).toBe('?jwt=[redacted]&x=1');
    expect(redactQuery(`?hint=${jwt}`)).toBe('?hint=[redacted]');
    expect(redactPath(`/o/default/${jwt}/x`)).toBe('/o/default/[redacted]/x');
    for (const name of [
      'id_token_hint',
      'request',
      'client_assertion',
      'assertion',
      'logout_token',
      'code_verifier',
    ]) {
      expect(redactQuery(`?${name}=opaque-value`)).toBe(`?${name}=[redacted]`);
    }
    // Words that merely start like a JOSE header are not tokens without their dots.
    expect(redactQuery('?name=eyJohnson')).toBe('?name=eyJohnson');
  });

  it('redacts named query parameters and paths inside the others', () => {
    expect(redactQuery('')).toBe('');
    expect(redactQuery('?device_code=abc&interval=5')).toBe('?device_code=[redacted]&interval=5');
    expect(redactQuery('?code=c0de&state=s7ate&iss=https%3A%2F%2Fidp')).toBe(
      '?code=[redacted]&state=[redacted]&iss=https%3A//idp',
    );
    expect(redactQuery('?user_code=ABCD-EFGH')).toBe('?user_code=[redacted]');
    expect(redactQuery(`?return_to=${encodeURIComponent(`/invite/${TOKEN}`)}`)).toBe(
      '?return_to=/invite/[redacted]',
    );
    expect(redactQuery('?Token=x&q=someone%40example.com')).toBe('?Token=[redacted]&q=[redacted]');
  });

  it('redacts the query inside a return_to as well: the device user code, an OAuth flow’s state', () => {
    const device = `?return_to=${encodeURIComponent('/o/acme/device?user_code=NRHZ-NZVW')}`;
    expect(redactQuery(device)).toBe('?return_to=/o/acme/device%3Fuser_code%3D[redacted]');
    const authorize = `?return_to=${encodeURIComponent(
      '/oauth/authorize?client_id=notes&state=s7ate&code_challenge=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A8976%2Fcb',
    )}`;
    const logged = redactQuery(authorize);
    expect(logged).not.toContain('s7ate');
    expect(logged).toContain('client_id%3Dnotes');
    expect(logged).toContain('state%3D[redacted]');
    // Nested twice (a login page sending on to a page that sends on): still redacted.
    const twice = `?return_to=${encodeURIComponent(`/login?return_to=${encodeURIComponent('/device?user_code=ABCD-EFGH')}`)}`;
    expect(redactQuery(twice)).not.toContain('ABCD');
    // A path of ours with a token in it, inside return_to, with a query after it.
    expect(redactQuery(`?return_to=${encodeURIComponent(`/invite/${TOKEN}?from=mail`)}`)).toBe(
      '?return_to=/invite/[redacted]%3Ffrom%3Dmail',
    );
  });
});
