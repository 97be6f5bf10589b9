import { CLIError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import { errorCode, type HTTPResponse, isRecord } from '../net/http-client.js';
import { isSameOrigin, normalizeBaseURL, URLPolicyError } from '../net/url-policy.js';
import { sanitizeText } from '../text.js';

/** `POST /device/init` (docs/API.md "Device login and hosted pages"), checked. */
export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_url: string;
  /** RFC 8628 §3.3.1: the same page with the code filled in, when the server offers it. */
  verification_url_complete?: string;
  /** Seconds the codes stay valid. */
  expires_in: number;
  /** Seconds to wait between polls. */
  interval: number;
}

/** RFC 8628 §3.2: when the server sends no interval, clients wait 5 seconds. */
export const DEFAULT_INTERVAL_SECONDS = 5;
/** RFC 8628 §3.5: `slow_down` adds 5 seconds to the interval, for this and every later poll. */
export const SLOW_DOWN_STEP_SECONDS = 5;

/**
 * Narrows the init answer. The verification URL is where a person types the code and approves the
 * session, so it must be on the origin that was reached (exit 3), or a tampered answer could send
 * them to a look-alike page.
 */
export function parseDeviceAuthorization(body: unknown, apiURL: string): DeviceAuthorization {
  const fail = (message: string): never => {
    throw new CLIError(EXIT.discovery, `device login could not start: ${message}`);
  };
  if (!isRecord(body)) return fail('the answer is not a JSON object');
  const { device_code: deviceCode, user_code: userCode, verification_url: verificationURL } = body;
  if (typeof deviceCode !== 'string' || deviceCode === '') return fail('no device_code');
  if (typeof userCode !== 'string' || userCode === '') return fail('no user_code');
  if (typeof verificationURL !== 'string') return fail('no verification_url');
  const checkURL = (name: string, raw: string): string => {
    let url = '';
    try {
      url = normalizeBaseURLKeepingQuery(raw);
    } catch (error) {
      if (error instanceof URLPolicyError) fail(`${name}: ${error.message}`);
      throw error;
    }
    if (!isSameOrigin(url, apiURL)) {
      fail(`${name} ${sanitizeText(url, 200)} is not on ${new URL(apiURL).origin}, the origin that answered`);
    }
    return url;
  };
  const url = checkURL('verification_url', verificationURL);
  const complete = body['verification_url_complete'];
  const expiresIn = positiveNumber(body['expires_in']);
  if (expiresIn === undefined) return fail('no expires_in');
  return {
    device_code: deviceCode,
    user_code: sanitizeText(userCode, 64),
    verification_url: url,
    ...(typeof complete === 'string'
      ? { verification_url_complete: checkURL('verification_url_complete', complete) }
      : {}),
    expires_in: expiresIn,
    interval: positiveNumber(body['interval']) ?? DEFAULT_INTERVAL_SECONDS,
  };
}

export type PollOutcome =
  | { kind: 'pending' }
  | { kind: 'slow_down' }
  | { kind: 'authorised'; sessionToken: string }
  | { kind: 'expired' }
  | { kind: 'denied' }
  | { kind: 'unexpected' };

/**
 * What one `GET /device/poll` answer means. Pylon answers `{status}` (docs/API.md); the RFC 8628
 * §3.5 error codes are understood too, so a standard device endpoint behaves the same.
 */
export function classifyPoll(response: HTTPResponse): PollOutcome {
  const code = errorCode(response.body);
  if (code === 'slow_down') return { kind: 'slow_down' };
  if (response.status >= 200 && response.status < 300 && isRecord(response.body)) {
    const status = response.body['status'];
    if (status === 'pending') return { kind: 'pending' };
    if (status === 'expired') return { kind: 'expired' };
    if (status === 'denied') return { kind: 'denied' };
    if (status === 'authorised' || status === 'authorized') {
      const token = response.body['session_jwt'];
      return typeof token === 'string' && token !== ''
        ? { kind: 'authorised', sessionToken: token }
        : { kind: 'unexpected' };
    }
    return { kind: 'unexpected' };
  }
  if (code === 'authorization_pending') return { kind: 'pending' };
  if (code === 'expired_token') return { kind: 'expired' };
  if (code === 'access_denied') return { kind: 'denied' };
  return { kind: 'unexpected' };
}

function positiveNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Like normalizeBaseURL (https or loopback, no credentials), but a query such as `?code=` may stay. */
function normalizeBaseURLKeepingQuery(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new URLPolicyError('not an absolute URL');
  }
  const search = url.search;
  url.search = '';
  url.hash = '';
  const base = normalizeBaseURL(url.href, 'verification_url');
  return `${base}${search}`;
}
