import { getCookie, setCookie } from 'hono/cookie';
import { isInsecureLocalDevelopment } from '../../config/config.js';
import { toBase64URL } from '../../crypto/random.js';
import type { AppContext, Services } from '../../http/context.js';
import { constantTimeEqual } from '../../platform/node-crypto.js';
import { passesCSRFCheck } from '../identity/session-cookie.js';

/** The console's double-submit token (its own cookie, as the bootstrap and invite pages have). */
const CSRF_COOKIE = 'pylon_console_csrf';

/** The token for this page's forms: the browser's existing one, else a new one (set as a cookie). */
export function consoleCSRFToken(c: AppContext, services: Services): string {
  const existing = getCookie(c, CSRF_COOKIE);
  if (existing !== undefined && /^[A-Za-z0-9_-]{32}$/.test(existing)) return existing;
  const token = toBase64URL(services.random.bytes(24));
  setCookie(c, CSRF_COOKIE, token, {
    httpOnly: true,
    secure: !isInsecureLocalDevelopment(services.config),
    sameSite: 'Strict',
    path: '/',
  });
  return token;
}

/**
 * A console form post is accepted only with the page's token and from a trusted origin (Origin, or
 * failing that Referer, in PYLON_TRUSTED_ORIGINS), the same two checks as the other hosted forms.
 */
export function passesConsoleCSRF(c: AppContext, services: Services, sent: string | undefined): boolean {
  const expected = getCookie(c, CSRF_COOKIE) ?? '';
  return (
    expected !== '' &&
    constantTimeEqual(expected, sent ?? '') &&
    passesCSRFCheck(
      'POST',
      c.req.header('origin') ?? null,
      c.req.header('referer') ?? null,
      services.config.trustedOrigins,
    )
  );
}
