import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  hotp,
  matchTOTP,
  otpauthURL,
  timeStep,
} from '../../src/features/mfa/totp.js';

const SECRET = new TextEncoder().encode('12345678901234567890');

// https://www.rfc-editor.org/rfc/rfc6238#appendix-B — Test Vectors, the SHA-1 rows (8 digits).
const RFC6238_APPENDIX_B_SHA1: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

// https://www.rfc-editor.org/rfc/rfc4226#appendix-D — HOTP test values, counters 0–9.
const RFC4226_APPENDIX_D = [
  '755224',
  '287082',
  '359152',
  '969429',
  '338314',
  '254676',
  '287922',
  '162583',
  '399871',
  '520489',
];

describe('TOTP', () => {
  it.each(RFC6238_APPENDIX_B_SHA1)('RFC 6238 Appendix B: T=%i → %s', (seconds, expected) => {
    expect(hotp(SECRET, timeStep(seconds * 1000), 8)).toBe(expected);
  });

  it('RFC 4226 Appendix D: HOTP counters 0–9', () => {
    expect(RFC4226_APPENDIX_D.map((_, counter) => hotp(SECRET, counter))).toEqual(RFC4226_APPENDIX_D);
  });

  it('matches the current step and one either side, nothing further, nothing malformed', () => {
    const now = 1_700_000_000_000;
    const step = timeStep(now);
    expect(matchTOTP(SECRET, hotp(SECRET, step), now)).toBe(step);
    expect(matchTOTP(SECRET, hotp(SECRET, step - 1), now)).toBe(step - 1);
    expect(matchTOTP(SECRET, hotp(SECRET, step + 1), now)).toBe(step + 1);
    expect(matchTOTP(SECRET, hotp(SECRET, step - 2), now)).toBeNull();
    expect(matchTOTP(SECRET, hotp(SECRET, step + 2), now)).toBeNull();
    for (const code of ['', '12345', '1234567', 'abcdef', ' 12345'])
      expect(matchTOTP(SECRET, code, now)).toBeNull();
  });
});

describe('base32 (RFC 4648 §10 vectors) and otpauth URLs', () => {
  it.each([
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ])('%s ↔ %s', (plain, encoded) => {
    expect(base32Encode(new TextEncoder().encode(plain))).toBe(encoded);
    expect(new TextDecoder().decode(base32Decode(encoded))).toBe(plain);
  });

  it('builds the key URI authenticator apps read', () => {
    const url = new URL(otpauthURL(SECRET, 'Pylon', 'ada@example.com'));
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Pylon:ada@example.com');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      secret: base32Encode(SECRET),
      issuer: 'Pylon',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
  });
});
