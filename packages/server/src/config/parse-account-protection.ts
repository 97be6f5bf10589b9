import type { PylonEnv } from './config.js';
import { ConfigError, type Env, type ErrorCollector } from './config-error.js';
import { DEFAULTS } from './defaults.js';
import { flag, oneOf, providerURL, read } from './parse-values.js';

export type CaptchaProvider = 'turnstile' | 'hcaptcha' | 'recaptcha';

export interface CaptchaConfig {
  readonly provider: CaptchaProvider;
  /** Sent to the provider's verify endpoint only; never shown. */
  readonly secret: string;
  /** Public: the hosted pages' widget carries it. */
  readonly siteKey: string;
  readonly verifyURL: string;
}

/** Each provider's documented server-side verify endpoint (a form POST answering `{success}`). */
export const CAPTCHA_VERIFY_URLS: Readonly<Record<CaptchaProvider, string>> = {
  turnstile: 'https://challenges.cloudflare.com/turnstile/v0/siteverify',
  hcaptcha: 'https://api.hcaptcha.com/siteverify',
  recaptcha: 'https://www.google.com/recaptcha/api/siteverify',
};

const CAPTCHA_VARIABLES = ['PYLON_CAPTCHA_SECRET', 'PYLON_CAPTCHA_SITE_KEY', 'PYLON_CAPTCHA_VERIFY_URL'];

/**
 * PYLON_CAPTCHA_PROVIDER with its secret and site key, all or nothing: a provider without a secret
 * could verify nothing, and without a site key the hosted pages could show no widget, so either
 * half-configuration fails at start-up instead of refusing every sign-up.
 */
export function parseCaptcha(env: Env, pylonEnv: PylonEnv, errors: ErrorCollector): CaptchaConfig | null {
  const provider = errors.take(
    () =>
      oneOf<CaptchaProvider | 'none'>(
        env,
        'PYLON_CAPTCHA_PROVIDER',
        ['turnstile', 'hcaptcha', 'recaptcha'],
        'none',
      ),
    'none',
  );
  if (provider === 'none') {
    for (const name of CAPTCHA_VARIABLES) {
      if (read(env, name) !== undefined && !errors.has('PYLON_CAPTCHA_PROVIDER'))
        errors.add(new ConfigError(name, 'is set but PYLON_CAPTCHA_PROVIDER is not'));
    }
    return null;
  }
  const secret = read(env, 'PYLON_CAPTCHA_SECRET');
  const siteKey = read(env, 'PYLON_CAPTCHA_SITE_KEY');
  if (secret === undefined)
    errors.add(
      new ConfigError('PYLON_CAPTCHA_SECRET', `is required with PYLON_CAPTCHA_PROVIDER=${provider}`),
    );
  if (siteKey === undefined)
    errors.add(
      new ConfigError('PYLON_CAPTCHA_SITE_KEY', `is required with PYLON_CAPTCHA_PROVIDER=${provider}`),
    );
  const override = read(env, 'PYLON_CAPTCHA_VERIFY_URL');
  const verifyURL = errors.take(
    () =>
      override === undefined
        ? CAPTCHA_VERIFY_URLS[provider]
        : providerURL('PYLON_CAPTCHA_VERIFY_URL', override, pylonEnv),
    CAPTCHA_VERIFY_URLS[provider],
  );
  if (secret === undefined || siteKey === undefined) return null;
  return Object.freeze({ provider, secret, siteKey, verifyURL });
}

/**
 * The Pwned Passwords range API base, or null when PYLON_DISABLE_HIBP turns the check off. On by
 * default in development too: the check fails open within a short timeout, so an offline laptop
 * loses nothing, and a developer sees the production answer for a breached password.
 */
export function parseHIBP(env: Env, pylonEnv: PylonEnv, errors: ErrorCollector): string | null {
  const disabled = errors.take(() => flag(env, 'PYLON_DISABLE_HIBP'), null);
  const raw = read(env, 'PYLON_HIBP_URL');
  if (disabled === true) return null;
  return raw === undefined
    ? DEFAULTS.hibpURL
    : errors.take(() => providerURL('PYLON_HIBP_URL', raw, pylonEnv), DEFAULTS.hibpURL);
}
