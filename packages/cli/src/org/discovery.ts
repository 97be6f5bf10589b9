import { CLIError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';
import { HTTPClient, isRecord, serverError } from '../net/http-client.js';
import { isSameOrigin, normalizeBaseURL, URLPolicyError } from '../net/url-policy.js';
import { sanitizeText } from '../text.js';
import { isOrgId } from './org-id.js';

/** `GET <url>/discover` (docs/API.md "Routes so far"). */
export interface DiscoveredOrg {
  id: string;
  name: string;
  api_url: string;
}

/**
 * Narrows a `/discover` answer and checks the `api_url` it hands back: a policy-conforming URL on
 * the origin that was reached, so a compromised or spoofed page cannot send the CLI (and the
 * session it will carry) to another host. Throws a message; the caller picks the exit code.
 */
export function checkDiscovery(body: unknown, reachedURL: string): DiscoveredOrg {
  if (!isRecord(body)) throw new DiscoveryError('the answer is not a JSON object');
  const { id, name, api_url: apiURL } = body;
  if (typeof id !== 'string' || !isOrgId(id)) throw new DiscoveryError('the answer has no valid org id');
  if (typeof apiURL !== 'string') throw new DiscoveryError('the answer has no api_url');
  let normalized: string;
  try {
    normalized = normalizeBaseURL(apiURL, 'the api_url it gave');
  } catch (error) {
    if (error instanceof URLPolicyError) throw new DiscoveryError(error.message);
    throw error;
  }
  if (!isSameOrigin(normalized, reachedURL)) {
    throw new DiscoveryError(
      `it gave api_url ${sanitizeText(normalized, 200)}, which is not on ${new URL(reachedURL).origin}, the origin that answered`,
    );
  }
  return { id, name: typeof name === 'string' ? name : id, api_url: normalized };
}

export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
}

/**
 * Discovers the org served at `url`. A URL that breaks the https rule is a bad argument (exit 2);
 * anything that goes wrong after that is a failed discovery (exit 3).
 */
export async function discoverOrg(
  url: string,
  http: { fetch: typeof globalThis.fetch; userAgent: string; signal?: AbortSignal },
  what = '--org-url',
): Promise<DiscoveredOrg> {
  let base: string;
  try {
    base = normalizeBaseURL(url, what);
  } catch (error) {
    if (error instanceof URLPolicyError) throw new CLIError(EXIT.usage, error.message);
    throw error;
  }
  const client = new HTTPClient({ ...http, baseURL: base, failureExitCode: EXIT.discovery });
  const request = { method: 'GET', path: '/discover' } as const;
  const response = await client.send(request);
  if (response.status < 200 || response.status > 299) {
    const failure = serverError(request, response);
    throw new CLIError(EXIT.discovery, `discovery at ${base} failed: ${failure.message}`);
  }
  try {
    return checkDiscovery(response.body, base);
  } catch (error) {
    if (error instanceof DiscoveryError) {
      throw new CLIError(EXIT.discovery, `discovery at ${base} failed: ${error.message}`);
    }
    throw error;
  }
}
