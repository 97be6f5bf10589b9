import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { type Config, isInsecureLocalDevelopment } from '../config/config.js';
import { type Random, toBase64URL } from '../crypto/random.js';
import { constantTimeEqual, sha256Base64URL } from '../platform/node-crypto.js';

/**
 * Binds a redirect-based sign-in (social OAuth, org SSO) to the browser that started it, so a
 * callback URL opened in another browser cannot sign that browser in (login CSRF, RFC 6749 §10.12;
 * RFC 9700 §4.7). The start sets a short-lived cookie holding a random binding; the `state` sent
 * to the provider is the binding's SHA-256, so knowing the state (it travels in URLs) never gives
 * the binding. The callback recomputes the state from the cookie and compares in constant time.
 */
export interface FlowBinding {
  /** The value to send as `state`. */
  state: string;
  /** The secret the cookie keeps. */
  binding: string;
}

export function createFlowBinding(random: Random): FlowBinding {
  const binding = toBase64URL(random.bytes(32));
  return { binding, state: sha256Base64URL(binding) };
}

/** Pure: does this cookie value belong to this state? False for a missing or malformed cookie. */
export function bindingMatchesState(binding: string | undefined, state: string): boolean {
  if (binding === undefined || binding.length === 0 || binding.length > 128) return false;
  return constantTimeEqual(sha256Base64URL(binding), state);
}

/**
 * The cookie's name: `__Host-` wherever it is Secure (no Domain, Path=/, so no subdomain can plant
 * one), plain only in development over http on localhost. `flow` names the kind (`oauth`, `sso`).
 */
export function flowCookieName(config: Config, flow: string): string {
  return isInsecureLocalDevelopment(config) ? `pylon_${flow}_flow` : `__Host-pylon_${flow}_flow`;
}

export function setFlowCookie(
  c: Context,
  config: Config,
  flow: string,
  binding: string,
  ttlSeconds: number,
): void {
  const secure = !isInsecureLocalDevelopment(config);
  setCookie(c, flowCookieName(config, flow), binding, {
    httpOnly: true,
    secure,
    // A provider that posts its answer (response_mode=form_post) comes back cross-site: Lax would
    // drop the cookie on that POST. None is only allowed Secure, so plain http keeps Lax.
    sameSite: secure ? 'None' : 'Lax',
    path: '/',
    maxAge: ttlSeconds,
  });
}

export function readFlowCookie(c: Context, config: Config, flow: string): string | undefined {
  return getCookie(c, flowCookieName(config, flow));
}

export function clearFlowCookie(c: Context, config: Config, flow: string): void {
  deleteCookie(c, flowCookieName(config, flow), {
    path: '/',
    secure: !isInsecureLocalDevelopment(config),
  });
}
