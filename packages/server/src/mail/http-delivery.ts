import { MailDeliveryError } from './errors.js';

export type Fetch = typeof fetch;

/** How HTTP providers reach the network; injected so tests point them at a loopback receiver. */
export interface HTTPDelivery {
  readonly fetch: Fetch;
  readonly timeoutMs: number;
}

export interface JSONPost {
  readonly url: string;
  readonly body: unknown;
  /** Sent as `Authorization: Bearer …`; null for an endpoint that takes none. */
  readonly apiKey: string | null;
}

/**
 * POST one JSON document and treat any 2xx as accepted. Every failure becomes a MailDeliveryError
 * that names the provider and the status only: the response body is never read, because providers
 * echo the request (and with it the code) in their validation errors.
 */
export async function postJSON(provider: string, post: JSONPost, delivery: HTTPDelivery): Promise<void> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': 'pylon-server',
  };
  if (post.apiKey !== null) headers.authorization = `Bearer ${post.apiKey}`;

  let response: Response;
  try {
    response = await delivery.fetch(post.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(post.body),
      // A redirect would replay the message to wherever the Location header points.
      redirect: 'error',
      signal: AbortSignal.timeout(delivery.timeoutMs),
    });
  } catch (error) {
    throw new MailDeliveryError(provider, isTimeout(error) ? 'timeout' : 'network', { cause: error });
  }
  // Release the connection without reading what the provider said (see above).
  await response.body?.cancel().catch(() => undefined);
  if (!response.ok) throw new MailDeliveryError(provider, 'http_status', { status: response.status });
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}
