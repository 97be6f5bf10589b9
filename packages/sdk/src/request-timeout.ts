/**
 * How long any one request to Pylon may take, its answer's body included: `/discover`, the key
 * set, a mint, a schema push or read. Past it the request fails as unanswered, so a Pylon that
 * accepts the connection and never answers cannot hang a caller (or, through single-flight, every
 * caller after it).
 */
export const REQUEST_TIMEOUT_MS = 5000;

/** The signal for one request to Pylon: fetch rejects with a `TimeoutError` past the timeout. */
export function requestSignal(): AbortSignal {
  return AbortSignal.timeout(REQUEST_TIMEOUT_MS);
}

/** Why a fetch to Pylon threw instead of answering, as the end of an error message. */
export function unanswered(error: unknown): string {
  const timedOut = error instanceof Error && error.name === 'TimeoutError';
  return timedOut
    ? `Pylon did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`
    : 'Pylon could not be reached';
}
