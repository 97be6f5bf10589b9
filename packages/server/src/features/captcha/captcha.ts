import { PylonError } from '@pylon/core';
import { DEFAULTS } from '../../config/defaults.js';
import type { Services } from '../../http/context.js';

/**
 * Verify the captcha token a client sent, where PYLON_CAPTCHA_PROVIDER is set: CAPTCHA_REQUIRED
 * without one, CAPTCHA_FAILED when the provider says no. Fails closed: a provider that is down,
 * slow or answers oddly refuses the request, or an outage would switch the protection off.
 *
 * Turnstile, hCaptcha and reCAPTCHA share one verify protocol: a form POST of `secret`, `response`
 * and optionally `remoteip`, answered with JSON whose `success` is a boolean.
 */
export async function requireCaptcha(
  services: Pick<Services, 'config' | 'fetch' | 'logger'>,
  token: unknown,
  facts: { ip: string | null; requestId: string },
): Promise<void> {
  const captcha = services.config.captcha;
  if (captcha === null) return;
  if (typeof token !== 'string' || token.trim() === '') throw new PylonError('CAPTCHA_REQUIRED');
  const form = new URLSearchParams({ secret: captcha.secret, response: token });
  if (facts.ip !== null) form.set('remoteip', facts.ip);
  let verdict: unknown;
  try {
    const response = await services.fetch(captcha.verifyURL, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form,
      signal: AbortSignal.timeout(DEFAULTS.captchaTimeoutMs),
    });
    if (!response.ok) throw new Error(`status ${response.status}`);
    verdict = await response.json();
  } catch (error) {
    services.logger.error(
      {
        requestId: facts.requestId,
        provider: captcha.provider,
        reason: error instanceof Error ? error.message : 'unknown',
      },
      'captcha provider unreachable: request refused (failing closed)',
    );
    throw new PylonError('CAPTCHA_FAILED', { message: 'The captcha could not be checked; try again later' });
  }
  if (typeof verdict === 'object' && verdict !== null && (verdict as { success?: unknown }).success === true)
    return;
  services.logger.info(
    { requestId: facts.requestId, provider: captcha.provider, errorCodes: errorCodes(verdict) },
    'captcha refused by the provider',
  );
  throw new PylonError('CAPTCHA_FAILED');
}

/** The provider's `error-codes`, for the log: short strings only, never the token. */
function errorCodes(verdict: unknown): string[] {
  const codes =
    typeof verdict === 'object' && verdict !== null
      ? (verdict as Record<string, unknown>)['error-codes']
      : [];
  return Array.isArray(codes)
    ? codes
        .filter((code): code is string => typeof code === 'string')
        .map((code) => code.slice(0, 64))
        .slice(0, 8)
    : [];
}
