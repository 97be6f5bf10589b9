import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { type Config, isInsecureLocalDevelopment } from '../../config/config.js';

const BASE_NAME = 'pylon_trusted_device';

/**
 * `__Host-pylon_trusted_device` wherever it is Secure (RFC 6265bis §4.1.3: Secure, Path=/, no
 * Domain, so no subdomain can plant one), unprefixed over http on localhost. Unlike the session
 * cookie it is never shared with subdomains: trust belongs to the browser on this host.
 */
export function trustedDeviceCookieName(config: Config): string {
  return isInsecureLocalDevelopment(config) ? BASE_NAME : `__Host-${BASE_NAME}`;
}

/** The trusted-device token a request's cookies carry, or null. */
export function trustedDeviceTokenFromCookies(
  config: Config,
  cookies: Readonly<Record<string, string>>,
): string | null {
  return cookies[trustedDeviceCookieName(config)] ?? null;
}

/** HttpOnly and SameSite=Lax: only ever read by this server, at a sign-in. */
export function setTrustedDeviceCookie(c: Context, config: Config, token: string, expiresAt: number): void {
  setCookie(c, trustedDeviceCookieName(config), token, {
    httpOnly: true,
    secure: !isInsecureLocalDevelopment(config),
    sameSite: 'Lax',
    path: '/',
    expires: new Date(expiresAt),
  });
}

export function clearTrustedDeviceCookie(c: Context, config: Config): void {
  const name = trustedDeviceCookieName(config);
  deleteCookie(c, name, { path: '/', secure: name.startsWith('__') });
}
