#!/usr/bin/env node
import { readFileSync, writeFileSync } from 'node:fs';
import { prepareNotesSchema, SCHEMA_PREPARED } from '../schema-file.js';

// `prepare-schema` writes schema.prepared.json from schema.yaml; `--check` only compares them and
// exits 12 on drift (the CLI's `schema prepare --check` code, docs/CLI.md).
const prepared = prepareNotesSchema();
if (process.argv.includes('--check')) {
  const committed = readFileSync(SCHEMA_PREPARED, 'utf8');
  if (committed !== prepared) {
    process.stderr.write(
      'error: schema.prepared.json does not match schema.yaml: run npm run schema:prepare\n',
    );
    process.exit(12);
  }
} else {
  writeFileSync(SCHEMA_PREPARED, prepared);
}
