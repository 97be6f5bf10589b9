import type { TestServer } from '../support/server.js';

/** An RBAC-surface answer: its `error` is the snake_case code, `message` what a person reads. */
export type Body = Record<string, unknown> & { error?: string; message?: string };

export interface CallOptions {
  /** A session or admin token, sent as `Authorization: Bearer`. */
  token?: string;
  /** An app token, sent as `X-Pylon-App-Token`. */
  appToken?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as written, for malformed bodies. */
  raw?: string;
}

/**
 * A JSON call against the RBAC service as pylon-cli makes it. `server` is read at call time,
 * since the suites start their server in beforeAll.
 */
export function rbacCaller(server: () => Pick<TestServer, 'request'>) {
  return async (method: string, path: string, options: CallOptions = {}) => {
    const response = await server().request(path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.appToken ? { 'x-pylon-app-token': options.appToken } : {}),
      },
      ...(options.raw !== undefined
        ? { body: options.raw }
        : options.body === undefined
          ? {}
          : { body: JSON.stringify(options.body) }),
    });
    return { status: response.status, body: (await response.json()) as Body };
  };
}
