import { CLIError } from '../cli-error.js';
import { EXIT, type ExitCode } from '../exit-codes.js';
import { sanitizeText } from '../text.js';
import { joinURL } from './url-policy.js';

export interface HTTPRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Relative to the base URL, starting with `/`. Shown in errors (never the query). */
  path: string;
  query?: Record<string, string | undefined>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is, with a JSON content type (a prepared schema file, byte for byte). */
  rawJSON?: string;
  bearer?: string;
  headers?: Record<string, string>;
}

export interface HTTPResponse {
  status: number;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  body: unknown;
}

export interface HTTPClientOptions {
  fetch: typeof globalThis.fetch;
  baseURL: string;
  userAgent: string;
  /** Aborts in-flight requests (Ctrl-C). */
  signal?: AbortSignal;
  /** Exit code for an unreachable server or a redirect: 3 while discovering, else 1 and 6. */
  failureExitCode?: ExitCode;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The one way the CLI talks to Pylon. Redirects are never followed (exit 6): Pylon's RBAC
 * surface never redirects, so a 3xx means something in between (an SSO gateway, a captive portal)
 * answered instead, and following it could hand the session to that something.
 */
export class HTTPClient {
  constructor(private readonly options: HTTPClientOptions) {}

  get baseURL(): string {
    return this.options.baseURL;
  }

  /** Sends and returns whatever status came back, except a redirect or a network failure. */
  async send(request: HTTPRequest): Promise<HTTPResponse> {
    const url = joinURL(this.options.baseURL, request.path, request.query);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.options.userAgent,
      ...request.headers,
    };
    if (request.bearer !== undefined) {
      // A header cannot carry it, and fetch's refusal would quote it whole: say so without it.
      if (!BEARER_TOKEN.test(request.bearer)) throw notAToken();
      headers['authorization'] = `Bearer ${request.bearer}`;
    }
    let body: string | undefined;
    if (request.rawJSON !== undefined) body = request.rawJSON;
    else if (request.json !== undefined) body = JSON.stringify(request.json);
    if (body !== undefined) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      response = await this.options.fetch(url, {
        method: request.method,
        headers,
        ...(body === undefined ? {} : { body }),
        redirect: 'manual',
        signal: this.requestSignal(),
      });
    } catch (error) {
      if (this.options.signal?.aborted) throw new CLIError(EXIT.interrupted, 'interrupted');
      throw new CLIError(
        this.options.failureExitCode ?? EXIT.generic,
        `cannot reach ${url.split('?')[0]}: ${describeNetworkError(error)}`,
      );
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      throw gatewayError(request, response, this.options.failureExitCode ?? EXIT.server);
    }
    return { status: response.status, body: await readJSON(response) };
  }

  /**
   * Sends and returns the JSON body of a 2xx answer, read with `schema` (the contract's, from
   * @pylon/core) when one is given; any other status exits 6, a body of another shape exits 1.
   */
  async call<T = Record<string, unknown>>(request: HTTPRequest, schema?: ResponseSchema<T>): Promise<T> {
    const response = await this.send(request);
    if (response.status < 200 || response.status > 299) throw serverError(request, response);
    if (!isRecord(response.body)) {
      throw new CLIError(
        EXIT.generic,
        `Pylon answered ${request.method} ${request.path} with something that is not a JSON object`,
      );
    }
    return schema ? readAnswer(request, schema, response.body) : (response.body as T);
  }

  /** Like `call`, for the identity surface's list answers: a 2xx JSON array. */
  async callList<T>(request: HTTPRequest, schema: ResponseSchema<T[]>): Promise<T[]> {
    const response = await this.send(request);
    if (response.status < 200 || response.status > 299) throw serverError(request, response);
    if (!Array.isArray(response.body)) {
      throw new CLIError(
        EXIT.generic,
        `Pylon answered ${request.method} ${request.path} with something that is not a JSON array`,
      );
    }
    return readAnswer(request, schema, response.body);
  }

  private requestSignal(): AbortSignal {
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return this.options.signal ? AbortSignal.any([timeout, this.options.signal]) : timeout;
  }
}

/** What `call` reads an answer with: a zod schema of @pylon/core's wire contract. */
export interface ResponseSchema<T> {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: T }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

/** The answer as the contract describes it, or exit 1 naming the first field that differs. */
function readAnswer<T>(request: HTTPRequest, schema: ResponseSchema<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0];
  const where = first && first.path.length > 0 ? `${first.path.map(String).join('.')}: ` : '';
  throw new CLIError(
    EXIT.generic,
    `Pylon answered ${request.method} ${request.path} with an unexpected body (${sanitizeText(`${where}${first?.message ?? 'invalid'}`, 200)})`,
  );
}

/** pylon-cli's wording, `Pylon returned <status>: <METHOD> <path> → <error>`, exit 6 (docs/CLI.md). */
export function serverError(request: Pick<HTTPRequest, 'method' | 'path'>, response: HTTPResponse): CLIError {
  return new CLIError(
    EXIT.server,
    `Pylon returned ${response.status}: ${request.method} ${request.path} → ${describeErrorBody(response.body)}`,
    hintFor(errorCode(response.body)),
  );
}

/** The error code of either surface: RBAC `{error:"code"}` or identity `{error:{code}}`. */
export function errorCode(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const error = body['error'];
  if (typeof error === 'string') return error;
  if (isRecord(error) && typeof error['code'] === 'string') return error['code'];
  return undefined;
}

function describeErrorBody(body: unknown): string {
  if (!isRecord(body)) return 'no JSON error body';
  const error = body['error'];
  const code = errorCode(body);
  const message =
    typeof body['message'] === 'string'
      ? body['message']
      : isRecord(error) && typeof error['message'] === 'string'
        ? error['message']
        : undefined;
  const text = code && message ? `${code}: ${message}` : (code ?? message ?? 'no error code');
  return sanitizeText(text);
}

function hintFor(code: string | undefined): string | undefined {
  switch (code) {
    case 'no_session':
    case 'expired':
      return 'sign in again with `pylon login --replace`';
    case 'org_mismatch':
      return 'this session belongs to another org; pick the org with --org or `pylon use`';
    case 'insufficient_capability':
      return 'ask an admin of this org for the capability named above';
    case 'not_bootstrap_email':
      return "only the verified PYLON_BOOTSTRAP_ADMIN_EMAIL may bootstrap, in the deployment's default org";
    case 'bootstrap_consumed':
      return 'an admin exists already: ask them for `pylon role grant --app pylon --archetype pylon-admin`';
    case 'FORBIDDEN':
      return 'this needs a deployment admin, or an owner or admin of the org';
    default:
      return undefined;
  }
}

function gatewayError(request: HTTPRequest, response: Response, exitCode: ExitCode): CLIError {
  const location = response.headers.get('location');
  const where = location ? ` to ${sanitizeText(location, 200)}` : '';
  return new CLIError(
    exitCode,
    `a gateway intercepted the request: ${request.method} ${request.path} was answered with a ${response.status} redirect${where}, which Pylon never sends`,
    'the URL may point at a login proxy or an SSO gateway in front of Pylon rather than at Pylon itself; redirects are not followed so a session never leaves for another host',
  );
}

async function readJSON(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A credential as a header can carry it: printable ASCII, no space (RFC 6750 §2.1's b64token and more). */
const BEARER_TOKEN = /^[\x21-\x7e]+$/;

function notAToken(): CLIError {
  return new CLIError(
    EXIT.usage,
    'the session or app token holds a space, a line break or a character outside ASCII, so it is not one',
    'check PYLON_SESSION_TOKEN, PYLON_APP_TOKEN or --app-token for a pasted extra line, or run `pylon login --replace`',
  );
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timed out';
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) return sanitizeText(cause.message, 200);
    return sanitizeText(error.message, 200);
  }
  return 'network error';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
