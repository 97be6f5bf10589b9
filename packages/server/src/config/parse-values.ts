import { isIP } from 'node:net';
import type { PylonEnv } from './config.js';
import { ConfigError, type Env } from './config-error.js';

export function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return value;
}

export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}`);
  }
  return raw as T;
}

export function origin(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `"${value}" is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `"${value}" must be http or https`);
  }
  return url.origin;
}

/** localhost, 127.0.0.0/8 or ::1 (a URL's `[::1]` too); not names that merely start with "127.". */
export function isLoopbackHost(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return isIP(name) === 6 && new URL(`http://[${name}]`).hostname === '[::1]';
}

export const TRUE = ['true', '1', 'yes', 'on'];
export const FALSE = ['false', '0', 'no', 'off'];
/** What a flag's refusal says it takes: every spelling `flag` reads, in any case. */
export const FLAG_SPELLINGS = 'must be true or false (also 1/0, yes/no, on/off)';

export function flag(env: Env, name: string): boolean | null {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return null;
  if (TRUE.includes(raw)) return true;
  if (FALSE.includes(raw)) return false;
  throw new ConfigError(name, FLAG_SPELLINGS);
}

/**
 * A provider URL: https, or http only to a loopback host in development (a local test peer).
 * Kept without a trailing slash.
 */
export function providerURL(name: string, value: string, env: PylonEnv): string {
  const parsed = new URL(origin(name, value));
  if (parsed.protocol !== 'https:' && !(env === 'development' && isLoopbackHost(parsed.hostname))) {
    throw new ConfigError(name, 'must be https (http only for a loopback host in development)');
  }
  return value.replace(/\/+$/, '');
}
