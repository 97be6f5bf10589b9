import type { PylonEnv } from './config.js';
import { ConfigError, type Env, type ErrorCollector } from './config-error.js';
import { isLoopbackHost, read } from './parse-values.js';

/** What the hosted pages and the emails show as the product: its name, logo and accent colour. */
export interface Brand {
  /** PYLON_BRAND_NAME, default `Pylon`. */
  readonly name: string;
  /** PYLON_BRAND_LOGO_URL: an absolute https URL (http on a loopback host), or null for none. */
  readonly logoURL: string | null;
  /** PYLON_BRAND_ACCENT: `#rrggbb` (a `#rgb` is expanded), or null for the built-in blue. */
  readonly accent: string | null;
}

/** The built-in accent (light mode) of the pages, the console and the icon. */
export const DEFAULT_ACCENT = '#2f5bea';

export const DEFAULT_BRAND: Brand = Object.freeze({ name: 'Pylon', logoURL: null, accent: null });

const NAME_MAX = 64;

function brandName(env: Env): string {
  const raw = read(env, 'PYLON_BRAND_NAME');
  if (raw === undefined) return DEFAULT_BRAND.name;
  // Control characters would garble a subject line or a title; the rest is escaped where shown.
  if (/\p{Cc}/u.test(raw)) throw new ConfigError('PYLON_BRAND_NAME', 'must not contain control characters');
  if ([...raw].length > NAME_MAX)
    throw new ConfigError('PYLON_BRAND_NAME', `must be at most ${NAME_MAX} characters`);
  return raw;
}

function logoURL(env: Env, pylonEnv: PylonEnv): string | null {
  const raw = read(env, 'PYLON_BRAND_LOGO_URL');
  if (raw === undefined) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('PYLON_BRAND_LOGO_URL', 'must be an absolute URL');
  }
  const loopbackHTTP = url.protocol === 'http:' && isLoopbackHost(url.hostname) && pylonEnv === 'development';
  if (url.protocol !== 'https:' && !loopbackHTTP)
    throw new ConfigError(
      'PYLON_BRAND_LOGO_URL',
      'must be an https:// URL (http:// only on a loopback host in development)',
    );
  if (url.username !== '' || url.password !== '')
    throw new ConfigError('PYLON_BRAND_LOGO_URL', 'must not carry credentials');
  return url.href;
}

function accent(env: Env): string | null {
  const raw = read(env, 'PYLON_BRAND_ACCENT');
  if (raw === undefined) return null;
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(raw);
  if (short) return `#${short[1]}${short[1]}${short[2]}${short[2]}${short[3]}${short[3]}`.toLowerCase();
  if (/^#[0-9a-f]{6}$/i.test(raw)) return raw.toLowerCase();
  throw new ConfigError('PYLON_BRAND_ACCENT', 'must be a hex colour, #rrggbb or #rgb');
}

/** PYLON_BRAND_*: each bad variable is reported, the others still parsed. */
export function parseBranding(env: Env, pylonEnv: PylonEnv, errors: ErrorCollector): Brand {
  return Object.freeze({
    name: errors.take(() => brandName(env), DEFAULT_BRAND.name),
    logoURL: errors.take(() => logoURL(env, pylonEnv), null),
    accent: errors.take(() => accent(env), null),
  });
}

/** Black or white, whichever reads better on the accent (WCAG relative luminance). */
export function textOnAccent(hex: string): '#000000' | '#ffffff' {
  const channel = (i: number) => {
    const v = Number.parseInt(hex.slice(1 + i * 2, 3 + i * 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  return luminance > 0.179 ? '#000000' : '#ffffff';
}
