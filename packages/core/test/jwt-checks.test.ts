import { describe, expect, it } from 'vitest';
import { checkTimeClaims, decodeProtectedHeader, hasDuplicateMemberNames } from '../src/jwt-checks.js';

const b64 = (text: string) => Buffer.from(text).toString('base64url');

describe('checkTimeClaims (RFC 7519 §4.1.4–4.1.6, stricter)', () => {
  const now = 1_800_000_000;
  const options = { now, skewSeconds: 2, maxLifetimeSeconds: 30 };

  it('accepts a 30-second token inside its window', () => {
    expect(checkTimeClaims({ iat: now, nbf: now, exp: now + 30 }, options)).toBeNull();
    expect(checkTimeClaims({ iat: now - 29, exp: now + 1 }, options)).toBeNull();
  });

  it('requires exp', () => {
    expect(checkTimeClaims({ iat: now }, options)).toBe('missing_exp');
    expect(checkTimeClaims({ iat: now, exp: '9999999999' }, options)).toBe('missing_exp');
  });

  it('refuses the expired, beyond the skew only', () => {
    expect(checkTimeClaims({ iat: now - 31, exp: now - 1 }, options)).toBeNull();
    expect(checkTimeClaims({ iat: now - 32, exp: now - 2 }, options)).toBe('expired');
  });

  it('refuses iat and nbf in the future beyond the skew', () => {
    expect(checkTimeClaims({ iat: now + 3, exp: now + 20 }, options)).toBe('issued_in_future');
    expect(checkTimeClaims({ iat: now + 2, exp: now + 20 }, options)).toBeNull();
    expect(checkTimeClaims({ nbf: now + 10, exp: now + 20 }, options)).toBe('not_yet_valid');
  });

  it('refuses lifetimes beyond the maximum, with or without iat', () => {
    expect(checkTimeClaims({ iat: now, exp: now + 3600 }, options)).toBe('lifetime_too_long');
    expect(checkTimeClaims({ exp: now + 3600 }, options)).toBe('lifetime_too_long');
    expect(checkTimeClaims({ iat: now - 100, exp: now + 10 }, options)).toBe('lifetime_too_long');
  });
});

describe('hasDuplicateMemberNames (RFC 7515 §5.2)', () => {
  it('finds a duplicate, escaped or nested', () => {
    expect(hasDuplicateMemberNames('{"alg":"none","alg":"EdDSA"}')).toBe(true);
    expect(hasDuplicateMemberNames('{"alg":"none","al\\u0067":"EdDSA"}')).toBe(true);
    expect(hasDuplicateMemberNames('{"jwk":{"x":"a","x":"b"}}')).toBe(true);
    expect(hasDuplicateMemberNames('{"a":[{"k":1,"k":2}]}')).toBe(true);
  });

  it('passes honest headers', () => {
    expect(hasDuplicateMemberNames('{"alg":"EdDSA","kid":"k1","typ":"JWT"}')).toBe(false);
    expect(hasDuplicateMemberNames(' { "a" : [1, -2.5e3, true, null, "\\"x"], "b": {} } ')).toBe(false);
  });

  it('treats malformed JSON as refused', () => {
    for (const text of ['', '{', '{"a":1,}', '{"a" 1}', '{"a":1} x', 'nul']) {
      expect(hasDuplicateMemberNames(text), text).toBe(true);
    }
  });
});

describe('decodeProtectedHeader', () => {
  it('decodes an honest header and refuses duplicates and garbage', () => {
    expect(decodeProtectedHeader(`${b64('{"alg":"EdDSA","kid":"k"}')}.e30.sig`)).toEqual({
      alg: 'EdDSA',
      kid: 'k',
    });
    expect(decodeProtectedHeader(`${b64('{"alg":"none","alg":"EdDSA"}')}.e30.sig`)).toBeNull();
    expect(decodeProtectedHeader(`${b64('[1]')}.e30.sig`)).toBeNull();
    expect(decodeProtectedHeader('!!!.e30.sig')).toBeNull();
    expect(decodeProtectedHeader(`${Buffer.from([0xff, 0xfe]).toString('base64url')}.e30.sig`)).toBeNull();
  });
});
