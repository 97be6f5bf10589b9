import {
  canonicalJSON,
  type PreparedSchema,
  SchemaError,
  SchemaPushResponse,
  verifyPreparedSchema,
} from '@pylon/core';
import {
  AppTokenInvalidError,
  InvalidSchemaError,
  NamespaceViolationError,
  NoSessionError,
  PylonRequestError,
  SchemaPushFailedError,
} from './errors.js';
import { normalizeOrgURL } from './org-url.js';
import { requestSignal, unanswered } from './request-timeout.js';
import { describeServerError, readServerError, type ServerError } from './server-error.js';
import type { FetchLike } from './types.js';

export interface PylonSchemaClientOptions {
  orgUrl: string;
  appId: string;
  /** The app's `pyat_…` token, sent as `X-Pylon-App-Token` (from your secret store, never committed). */
  appToken: string;
  /** A person's session for `current()`, which Pylon serves to sessions only; else `PYLON_SESSION_TOKEN`. */
  sessionToken?: string;
  fetch?: FetchLike;
  allowInsecureHTTP?: boolean;
}

export type SchemaPushResult =
  | { status: 'accepted'; version: number }
  | {
      status: 'pending_approval';
      version: number;
      current_version: number;
      diff: { kind: 'additive' | 'destructive'; changes: Record<string, unknown>[] };
    };

export interface CurrentSchema {
  version: number;
  version_tag: string;
  capabilities: PreparedSchema['capabilities'];
  archetypes: PreparedSchema['archetypes'];
  pushed_by: string;
  pushed_at: number;
  prepared?: PreparedSchema;
}

export interface PylonSchemaClient {
  /**
   * Pushes a prepared schema (the file's text, or the parsed value). A destructive change is not
   * an error: it answers `pending_approval` until an admin approves it.
   */
  push(prepared: string | PreparedSchema): Promise<SchemaPushResult>;
  /** The version serving tokens now, or null when nothing was pushed yet. Needs a session. */
  current(): Promise<CurrentSchema | null>;
}

export function pylonSchemaClient(options: PylonSchemaClientOptions): PylonSchemaClient {
  const orgUrl = normalizeOrgURL(options.orgUrl, { allowInsecureHTTP: options.allowInsecureHTTP === true });
  const { appId, appToken } = options;
  if (typeof appToken !== 'string' || appToken === '') throw new TypeError('appToken is required');
  const fetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const base = `${orgUrl}/apps/${encodeURIComponent(appId)}/schema`;

  async function send(url: string, init: RequestInit, what: string): Promise<Response> {
    try {
      return await fetch(url, { ...init, redirect: 'error', signal: requestSignal() });
    } catch (error) {
      throw new PylonRequestError(`${what}: ${unanswered(error)}`);
    }
  }

  return {
    async push(prepared) {
      const body = checkLocally(prepared, appId);
      const response = await send(
        base,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-pylon-app-token': appToken },
          body,
        },
        'Schema push failed',
      ).catch((error: PylonRequestError) => {
        throw new SchemaPushFailedError(error.message);
      });
      if (!response.ok) throw pushError(await readServerError(response));
      const result = SchemaPushResponse.safeParse(await response.json().catch(() => undefined));
      if (!result.success) {
        throw new SchemaPushFailedError('Schema push failed: Pylon answered an unexpected body', {
          status: response.status,
        });
      }
      // The contract's shape, read; the public type names which fields go with which status.
      return result.data as SchemaPushResult;
    },

    async current() {
      const session = options.sessionToken ?? globalThis.process?.env?.PYLON_SESSION_TOKEN;
      if (!session) throw new NoSessionError();
      const response = await send(
        `${base}/current`,
        { headers: { authorization: `Bearer ${session}`, accept: 'application/json' } },
        'Reading the current schema failed',
      );
      if (response.ok) {
        return (await response.json().catch(() => {
          throw new PylonRequestError(
            'Reading the current schema failed: Pylon answered an unexpected body',
            {
              status: response.status,
            },
          );
        })) as CurrentSchema;
      }
      const error = await readServerError(response);
      if (error.status === 404 && error.code === 'not_found') return null;
      const details = detailsOf(error);
      if (error.status === 401) throw new NoSessionError('Pylon refused the session: sign in again', details);
      throw new PylonRequestError(describeServerError('Reading the current schema failed', error), details);
    },
  };
}

/**
 * The same checks Pylon runs, before anything is sent: a hand-edited or foreign-namespace file
 * fails here with the problems listed, not as a bare 400 from the server.
 */
function checkLocally(prepared: string | PreparedSchema, appId: string): string {
  try {
    verifyPreparedSchema(prepared, { appId });
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    if (error.code === 'namespace_violation') throw new NamespaceViolationError(error.message);
    throw new InvalidSchemaError(error.message);
  }
  // The file's own bytes when given text: what was reviewed is what is sent.
  return typeof prepared === 'string' ? prepared : canonicalJSON(prepared);
}

function detailsOf(error: ServerError): { status: number; serverCode?: string } {
  return { status: error.status, ...(error.code === undefined ? {} : { serverCode: error.code }) };
}

function pushError(error: ServerError): Error {
  const details = detailsOf(error);
  const message = error.message ?? describeServerError('Schema push failed', error);
  if (error.code === 'namespace_violation') return new NamespaceViolationError(message, details);
  if (error.code === 'invalid_schema') return new InvalidSchemaError(message, details);
  if (error.code === 'app_token_invalid') return new AppTokenInvalidError(details);
  return new SchemaPushFailedError(describeServerError('Schema push failed', error), details);
}
