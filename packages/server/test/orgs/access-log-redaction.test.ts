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
});
