import { type PreparedSchema, prepareSchema, SchemaError, verifyPreparedSchema } from '@pylon/core';
import { CLIError } from '../cli-error.js';
import { EXIT } from '../exit-codes.js';

/**
 * `schema prepare` without the I/O: the canonical prepared text, or exit 11 for an invalid source
 * (exit 2 for an app id that cannot be a namespace).
 */
export function prepareSource(source: Uint8Array, appId: string, cliVersion: string): string {
  try {
    return prepareSchema(source, appId, { cliVersion });
  } catch (error) {
    throw schemaFailure(error, EXIT.invalidSchemaSource, 'invalid schema source');
  }
}

export type DriftCheck = { upToDate: true } | { upToDate: false; reason: string };

/**
 * `schema prepare --check`: is the committed prepared file exactly what preparing the source
 * gives now? The file's own `cli_version` is reused, so upgrading the CLI is not drift; any other
 * byte that differs is.
 */
export function checkPreparedFile(
  existing: string | null,
  source: Uint8Array,
  appId: string,
  cliVersion: string,
): DriftCheck {
  if (existing === null) return { upToDate: false, reason: 'the prepared file does not exist' };
  const marker = readMarker(existing);
  const fresh = prepareSource(source, appId, marker?.cli_version ?? cliVersion);
  if (fresh === existing) return { upToDate: true };
  if (!marker) return { upToDate: false, reason: 'the file is not a prepared schema' };
  const freshMarker = readMarker(fresh)!;
  if (marker.source_sha256 !== freshMarker.source_sha256) {
    return { upToDate: false, reason: 'the source changed since the file was prepared' };
  }
  return { upToDate: false, reason: 'the prepared file differs from what the source prepares to' };
}

/**
 * A prepared file as `push` and `diff` send it: verified locally first, so an unprepared or
 * hand-edited file (or one prepared for another app) never leaves the machine. Exit 10.
 */
export function verifyPreparedFile(text: string, appId: string): PreparedSchema {
  try {
    return verifyPreparedSchema(text, { appId });
  } catch (error) {
    throw schemaFailure(error, EXIT.unpreparedSchema, 'not a prepared schema for this app', appId);
  }
}

function schemaFailure(error: unknown, exitCode: 10 | 11, summary: string, appId?: string): unknown {
  if (!(error instanceof SchemaError)) return error;
  if (error.code === 'invalid_app_id') return new CLIError(EXIT.usage, error.message);
  const hint =
    exitCode === EXIT.unpreparedSchema
      ? `prepare it from its source: pylon schema prepare --source <schema.yaml> --app ${appId} --out <file>`
      : undefined;
  return new CLIError(exitCode, `${summary} (${error.code}): ${error.message}`, hint);
}

interface Marker {
  cli_version: string;
  source_sha256?: string;
}

function readMarker(text: string): Marker | undefined {
  try {
    const marker = (JSON.parse(text) as { _prepared?: unknown })._prepared;
    if (typeof marker === 'object' && marker !== null) {
      const { cli_version: version, source_sha256: source } = marker as Record<string, unknown>;
      if (typeof version === 'string' && version !== '') {
        return { cli_version: version, ...(typeof source === 'string' ? { source_sha256: source } : {}) };
      }
    }
  } catch {
    // not JSON: no marker
  }
  return undefined;
}
