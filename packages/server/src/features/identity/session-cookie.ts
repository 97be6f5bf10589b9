import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { type Config, isInsecureLocalDevelopment } from '../../config/config.js';

/**
 * The session cookie's name: PYLON_COOKIE_NAME (default `pylon_session`), prefixed wherever it is
 * Secure with what browsers enforce (RFC 6265bis §4.1.3): `__Host-` (Secure, Path=/, no Domain: no
 * subdomain can set or shadow it), or `__Secure-` when PYLON_COOKIE_DOMAIN shares it with
 * subdomains. Unprefixed over http on localhost.
 */
export function sessionCookieName(config: Config): string {
  if (isInsecureLocalDevelopment(config)) return config.cookieName;
  return config.cookieDomain ? `__Secure-${config.cookieName}` : `__Host-${config.cookieName}`;
}

/**
 * The session token a request's cookies carry, under the current name only: where the cookie is
 * prefixed, an unprefixed one may have been planted by a sibling subdomain or over plain http
 * (login CSRF), which is what the prefix exists to rule out.
 */
export function sessionTokenFromCookies(
  config: Config,
  cookies: Readonly<Record<string, string>>,
): string | null {
  return cookies[sessionCookieName(config)] ?? null;
}

/** HttpOnly, SameSite from config, Secure except development on localhost. */
export function setSessionCookie(c: Context, config: Config, token: string, expiresAt: number): void {
  setCookie(c, sessionCookieName(config), token, {
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
  const name = sessionCookieName(config);
  deleteCookie(c, name, {
    path: '/',
    secure: name.startsWith('__'),
    ...(config.cookieDomain ? { domain: config.cookieDomain } : {}),
  });
  if (name !== config.cookieName && getCookie(c, config.cookieName) !== undefined) {
    deleteCookie(c, config.cookieName, {
      path: '/',
      ...(config.cookieDomain ? { domain: config.cookieDomain } : {}),
    });
  }
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
