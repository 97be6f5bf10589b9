import { getCookie, setCookie } from 'hono/cookie';
import { isInsecureLocalDevelopment } from '../config/config.js';
import { toBase64URL } from '../crypto/random.js';
import { passesCSRFCheck } from '../features/identity/session-cookie.js';
import type { AppContext, Services } from '../http/context.js';
import { constantTimeEqual } from '../platform/node-crypto.js';

/**
 * The hosted forms' double-submit CSRF token, one mechanism for every page family (account pages,
 * console, invite page), each under its own cookie so one family's tab never clobbers another's:
 * an HttpOnly SameSite=Strict cookie holding 24 random bytes, echoed by every form as `csrf`.
 */
export interface FormCSRF {
  /**
   * The token for this page's forms: with `reuse`, the browser's current well-formed one (two tabs
   * share it, so one page never invalidates another's forms), else a fresh one set as the cookie.
   */
  token(c: AppContext, services: Services): string;
  /** The form's token equals the cookie's (constant time) and the post came from a trusted origin. */
  passes(c: AppContext, services: Services, sent: unknown): boolean;
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{32}$/;

export function formCSRF(cookieName: string, options: { reuse: boolean }): FormCSRF {
  return {
    token(c, services) {
      const current = getCookie(c, cookieName);
      if (options.reuse && current !== undefined && TOKEN_SHAPE.test(current)) return current;
      const token = toBase64URL(services.random.bytes(24));
      setCookie(c, cookieName, token, {
        httpOnly: true,
        secure: !isInsecureLocalDevelopment(services.config),
        sameSite: 'Strict',
        path: '/',
      });
      return token;
    },
    passes(c, services, sent) {
      const expected = getCookie(c, cookieName) ?? '';
      return (
        expected !== '' &&
        typeof sent === 'string' &&
        constantTimeEqual(expected, sent) &&
        passesCSRFCheck(
          'POST',
          c.req.header('origin') ?? null,
          c.req.header('referer') ?? null,
          services.config.trustedOrigins,
        )
      );
    },
  };
}
