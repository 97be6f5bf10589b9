import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { type Config, isInsecureLocalDevelopment } from '../../config/config.js';

export const SESSION_COOKIE = 'pylon_session';

/** HttpOnly, SameSite from config, Secure except development on localhost (docs/API.md "Identity"). */
export function setSessionCookie(c: Context, config: Config, token: string, expiresAt: number): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    secure: !isInsecureLocalDevelopment(config),
    sameSite:
      config.cookieSameSite === 'none' ? 'None' : config.cookieSameSite === 'strict' ? 'Strict' : 'Lax',
    path: '/',
    expires: new Date(expiresAt),
    ...(config.cookieDomain ? { domain: config.cookieDomain } : {}),
  });
}

export function clearSessionCookie(c: Context, config: Config): void {
  deleteCookie(c, SESSION_COOKIE, {
    path: '/',
    ...(config.cookieDomain ? { domain: config.cookieDomain } : {}),
  });
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A state-changing request authenticated by cookie must come from a trusted origin: its Origin
 * header, or failing that its Referer, must be one of PYLON_TRUSTED_ORIGINS (which always holds
 * the public URL). Bearer requests cannot be forged cross-site and are exempt.
 */
export function passesCSRFCheck(
  method: string,
  origin: string | null,
  referer: string | null,
  trusted: readonly string[],
): boolean {
  if (SAFE_METHODS.has(method.toUpperCase())) return true;
  let source = origin;
  if (source === null && referer !== null) {
    try {
      source = new URL(referer).origin;
    } catch {
      return false;
    }
  }
  return source !== null && trusted.includes(source);
}
