import { PylonError } from '@pylon/core';
import fc from 'fast-check';
import { parse as parseCookies } from 'hono/utils/cookie';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { passesCSRFCheck, sessionTokenFromCookies } from '../../src/features/identity/session-cookie.js';
import { requireTrustedRedirect } from '../../src/features/sso/sso-rules.js';
import { bearerFrom } from '../../src/http/auth-context.js';

// What reaches the server from outside before any session exists: redirect targets, Origin and
// Referer, Authorization and Cookie headers. Properties: only typed refusals, never an accepted
// value the strict reference refuses.

const TRUSTED = ['https://pylon.example', 'https://app.example'];

const trickyURL = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc
    .tuple(
      fc.constantFrom(
        'https://',
        'http://',
        '//',
        '/\\',
        'javascript:',
        'data:',
        'HTTPS://',
        ' https://',
        'https:/',
        '',
      ),
      fc.constantFrom('', 'pylon.example@', 'user:pw@', 'evil.example@'),
      fc.constantFrom(
        'pylon.example',
        'app.example',
        'evil.example',
        'pylon.example.evil.example',
        '127.0.0.1',
        'localhost',
        '[::1]',
        'PYLON.EXAMPLE',
        'pylon.example.',
        'xn--pylon-9ta.example',
      ),
      fc.constantFrom('', ':443', ':8443', ':80', ':0'),
      fc.constantFrom(
        '',
        '/',
        '/cb',
        '/\\evil.example',
        '/%2e%2e/',
        '?x=https://evil.example',
        '#@evil.example',
        '\t',
        '\n',
      ),
    )
    .map((parts) => parts.join('')),
);

describe('redirect targets (RFC 9700 §4.11: no open redirects)', () => {
  for (const env of ['production', 'development'] as const) {
    it(`accepts only http(s) URLs on a trusted origin (or loopback in development) — ${env}`, () => {
      fc.assert(
        fc.property(trickyURL, (raw) => {
          let accepted: string;
          try {
            accepted = requireTrustedRedirect(raw, { env, trustedOrigins: TRUSTED });
          } catch (error) {
            expect(error).toBeInstanceOf(PylonError);
            expect((error as PylonError).code).toBe('UNTRUSTED_REDIRECT');
            return;
          }
          // The strict reference: the WHATWG URL parser, then an exact origin match.
          const url = new URL(accepted);
          expect(['https:', 'http:']).toContain(url.protocol);
          const loopback =
            ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || url.hostname.startsWith('127.');
          expect(TRUSTED.includes(url.origin) || (env === 'development' && loopback)).toBe(true);
          // What the browser will be sent to is what was checked.
          expect(new URL(accepted).origin).toBe(new URL(raw).origin);
        }),
        { numRuns: 4000 },
      );
    });
  }
});

describe('CSRF origin check', () => {
  const method = fc.constantFrom('GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'post', 'Get');
  const header = fc.option(trickyURL, { nil: null });

  it('lets a state-changing request through only from a trusted origin', () => {
    fc.assert(
      fc.property(method, header, header, (m, origin, referer) => {
        if (!passesCSRFCheck(m, origin, referer, TRUSTED)) return;
        if (['GET', 'HEAD', 'OPTIONS'].includes(m.toUpperCase())) return;
        // Origin wins when present (even `null`); Referer only stands in when Origin is absent.
        const source = origin ?? new URL(referer!).origin;
        expect(TRUSTED).toContain(source);
      }),
      { numRuns: 4000 },
    );
  });

  it('never lets a Referer vouch for a request whose Origin is foreign or "null"', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('null', 'https://evil.example', 'https://pylon.example.evil.example'),
        (origin) => {
          expect(passesCSRFCheck('POST', origin, 'https://pylon.example/login', TRUSTED)).toBe(false);
        },
      ),
    );
  });
});

describe('Authorization: Bearer (RFC 6750 §2.1)', () => {
  const token68 = /^[A-Za-z0-9\-._~+/]+=*$/;
  const headerValue = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc
      .tuple(
        fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', 'Bearer', 'Basic ', 'Bearer\t', ' Bearer '),
        fc.oneof(fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,20}=*$/), fc.string({ maxLength: 20 })),
        fc.constantFrom('', ' ', '  ', '\t', ', Bearer x', '"'),
      )
      .map((parts) => parts.join('')),
  );

  it('yields a token only when the header is a bearer token68, and never with spaces or quotes', () => {
    fc.assert(
      fc.property(headerValue, (value) => {
        const token = bearerFrom(value);
        if (token === null) return;
        expect(token).toMatch(token68);
        expect(value).toMatch(/^Bearer +/i);
      }),
      { numRuns: 4000 },
    );
  });

  it('reads the token of a well-formed header exactly', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9\-._~+/]{1,40}=*$/), (token) => {
        expect(bearerFrom(`Bearer ${token}`)).toBe(token);
        expect(bearerFrom(`bearer  ${token} `)).toBe(token);
      }),
    );
  });
});

describe('Cookie header', () => {
  const config = loadConfig({
    PYLON_ENV: 'production',
    PYLON_PUBLIC_URL: 'https://pylon.example',
    PYLON_SECRET: '5e08b3c91fa746d2e8c03b7a914f6d5c2a8e17b0f43d96c5e1a278d04b6f39ce',
  });
  const cookieValue = fc.stringMatching(/^[A-Za-z0-9_-]{0,16}$/);
  const noise = fc.array(
    fc.tuple(fc.constantFrom('other', 'a b', '', 'pylon', '__Host-other'), fc.string({ maxLength: 12 })),
    { maxLength: 3 },
  );

  it('never throws on any header', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (header) => {
        sessionTokenFromCookies(config, parseCookies(header));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads the __Host- session cookie exactly, whatever surrounds it, and nothing when it is absent', () => {
    fc.assert(
      fc.property(noise, fc.option(cookieValue, { nil: null }), noise, (before, value, after) => {
        const pairs = [
          ...before,
          ...(value === null ? [] : [['__Host-pylon_session', value] as const]),
          ...after,
        ];
        const header = pairs.map(([name, v]) => `${name}=${v}`).join('; ');
        const token = sessionTokenFromCookies(config, parseCookies(header));
        if (value === null || value === '') expect(token === null || token === '').toBe(true);
        else expect(token).toBe(value);
      }),
      { numRuns: 3000 },
    );
  });
});
