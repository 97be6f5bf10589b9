import { PylonError } from '@pylon/core';
import type { AppContext } from '../http/context.js';

/** What a hosted page shows and answers when a use case refuses its form. */
export interface Refusal {
  /** The sentence shown on the form. */
  message: string;
  status: 400 | 429;
}

/** What the page says when it does not know how long the limit lasts. */
export const WAIT_A_MOMENT = 'Too many attempts. Wait a moment and try again.';

/**
 * The sentence for a limit that lifts in `retryAfter` seconds (a `Retry-After` value): seconds
 * under a minute and a half, whole minutes (rounded up) beyond, a moment when it is not a number.
 */
export function waitSentence(retryAfter: string | undefined): string {
  const seconds = Number(retryAfter);
  if (retryAfter === undefined || !Number.isInteger(seconds) || seconds <= 0) return WAIT_A_MOMENT;
  if (seconds < 90)
    return `Too many attempts. Wait ${seconds} second${seconds === 1 ? '' : 's'} and try again.`;
  return `Too many attempts. Wait ${Math.ceil(seconds / 60)} minutes and try again.`;
}

/**
 * A refused form's answer on a hosted page: the code's sentence from the page's own table under
 * 400, except RATE_LIMITED, which answers as the JSON API does — 429 with its `Retry-After`
 * (RFC 6585 §4, RFC 9110 §10.2.3), set on `c` — and says how long to wait. The wait is the one the
 * API already tells any caller, for every address alike, so it reveals nothing more. Anything but
 * a PylonError is a bug, not a refusal: it is thrown on.
 */
export function pageRefusal(
  c: AppContext,
  error: unknown,
  messages: Readonly<Record<string, string>>,
): Refusal {
  if (!(error instanceof PylonError)) throw error;
  if (error.code !== 'RATE_LIMITED') {
    return { message: messages[error.code] ?? 'Something went wrong. Try again.', status: 400 };
  }
  const retryAfter = error.headers['Retry-After'];
  if (retryAfter !== undefined) c.header('Retry-After', retryAfter);
  return { message: waitSentence(retryAfter), status: 429 };
}
