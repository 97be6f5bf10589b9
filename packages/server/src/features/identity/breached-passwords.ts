import { createHash } from 'node:crypto';
import { PylonError } from '@pylon/core';
import { DEFAULTS } from '../../config/defaults.js';
import type { Services } from '../../http/context.js';

/**
 * The Pwned Passwords k-anonymity model: the SHA-1 of the password in upper-case hex, of which only
 * the first 5 characters are sent (`GET /range/{prefix}`); the other 35 are compared here against
 * the suffixes the range lists. https://haveibeenpwned.com/API/v3#SearchingPwnedPasswordsByRange
 */
export function pwnedRangeKey(password: string): { prefix: string; suffix: string } {
  const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
  return { prefix: digest.slice(0, 5), suffix: digest.slice(5) };
}

/**
 * Whether a range body (`SUFFIX:COUNT` lines) lists `suffix` as breached. With `Add-Padding` the
 * API mixes in made-up suffixes with a count of 0, which are not breaches.
 */
export function rangeListsSuffix(body: string, suffix: string): boolean {
  for (const line of body.split('\n')) {
    const [candidate = '', count = ''] = line.trim().split(':');
    if (candidate.toUpperCase() === suffix && Number.parseInt(count, 10) > 0) return true;
  }
  return false;
}

/**
 * PWNED_PASSWORD for a password the range API lists. Fails open: when the service is unreachable,
 * slow or answers oddly, the password is accepted and a warning logged, because an outage of a
 * third party must not stop people from signing up or resetting. Off with PYLON_DISABLE_HIBP=1.
 */
export async function refuseBreachedPassword(
  services: Pick<Services, 'config' | 'fetch' | 'logger'>,
  password: string,
  requestId: string,
): Promise<void> {
  const base = services.config.hibpURL;
  if (base === null) return;
  const { prefix, suffix } = pwnedRangeKey(password);
  let body: string;
  try {
    const response = await services.fetch(`${base}/range/${prefix}`, {
      // Padding makes every range answer about the same size, so the response length on the wire
      // tells an observer nothing about which prefix was asked.
      headers: { 'Add-Padding': 'true', 'User-Agent': 'pylon-server' },
      signal: AbortSignal.timeout(DEFAULTS.hibpTimeoutMs),
    });
    if (!response.ok) throw new Error(`status ${response.status}`);
    body = await response.text();
  } catch (error) {
    // Never the prefix: it is a fragment of the password's hash.
    services.logger.warn(
      { requestId, reason: error instanceof Error ? error.message : 'unknown' },
      'breached-password check skipped: Pwned Passwords did not answer (failing open)',
    );
    return;
  }
  if (rangeListsSuffix(body, suffix)) throw new PylonError('PWNED_PASSWORD');
}
