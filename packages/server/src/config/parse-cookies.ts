import { ConfigError, type Env } from './config-error.js';
import { DEFAULTS } from './defaults.js';
import { read } from './parse-values.js';

/** RFC 6265 §4.1.1: a cookie name is a token. The Secure prefixes are Pylon's to add. */
export function cookieName(env: Env): string {
  const name = read(env, 'PYLON_COOKIE_NAME') ?? DEFAULTS.cookieName;
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/.test(name))
    throw new ConfigError(
      'PYLON_COOKIE_NAME',
      'must be 1–64 cookie-name characters (letters, digits, - _ .)',
    );
  if (/^__(host|secure)-/i.test(name))
    throw new ConfigError('PYLON_COOKIE_NAME', 'must not carry a __Host-/__Secure- prefix: Pylon adds it');
  return name;
}
