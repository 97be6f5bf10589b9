import { readFileSync } from 'node:fs';
import { prepareSchema } from '@pylon/core';
import { NOTES_APP_ID } from './notes-server.js';

/** Stamped into `_prepared.cli_version`: the Pylon release whose rules prepared the file. */
export const PREPARED_BY = '0.1.0';

export const SCHEMA_SOURCE = new URL('../schema.yaml', import.meta.url);
export const SCHEMA_PREPARED = new URL('../schema.prepared.json', import.meta.url);

/** What `schema.prepared.json` must contain, byte for byte, for the current `schema.yaml`. */
export function prepareNotesSchema(): string {
  return prepareSchema(readFileSync(SCHEMA_SOURCE), NOTES_APP_ID, { cliVersion: PREPARED_BY });
}
