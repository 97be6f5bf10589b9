#!/usr/bin/env node
/**
 * Run the built Worker bundle on this machine, in miniflare (workerd, the Workers runtime), as
 * Cloudflare runs it: the PylonStore Durable Object with its SQLite storage and the PYLON_CACHE KV
 * namespace, both kept in a directory so the data outlives a restart. miniflare is a devDependency
 * of this repository; nothing else is installed or downloaded. Build the bundle first
 * (scripts/build-worker.mjs).
 *
 * usage: node packages/server/scripts/run-worker.mjs [--port 8787] [--persist data/worker]
 *        (Ctrl-C stops it)
 *
 * The PYLON_* variables of the environment are the Worker's bindings. Unset, PYLON_ENV is
 * development and PYLON_PUBLIC_URL this local URL; in development an unset PYLON_SECRET is
 * generated once and kept in the persist directory (`dev-secret`), as the Node server keeps one in
 * its data directory. The compatibility date and flags are those of deploy/workers/wrangler.toml.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

const server = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE = join(server, 'dist/worker/index.js');
const WRANGLER_TOML = join(server, '../../deploy/workers/wrangler.toml');
/** `wrangler dev`'s port, so what the Cloudflare docs say about local URLs holds here too. */
const DEFAULT_PORT = 8787;

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1] : fallback;
}

/** The runtime settings the example deployment declares, read from it so the two never differ. */
function compatibility() {
  const toml = readFileSync(WRANGLER_TOML, 'utf8');
  const date = /^compatibility_date = "([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags = (\[.*\])$/m.exec(toml)?.[1];
  if (!date || !flags) throw new Error(`${WRANGLER_TOML}: no compatibility_date or compatibility_flags`);
  return { compatibilityDate: date, compatibilityFlags: JSON.parse(flags) };
}

/** A development secret made once and kept beside the data it protects. */
function developmentSecret(persist) {
  const file = join(persist, 'dev-secret');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

const port = Number(option('port', String(DEFAULT_PORT)));
if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new Error('--port: a port number');
const persist = resolve(option('persist', 'data/worker'));
if (!existsSync(BUNDLE)) {
  process.stderr.write(`No bundle at ${BUNDLE}: run node packages/server/scripts/build-worker.mjs first\n`);
  process.exit(1);
}
mkdirSync(persist, { recursive: true });

const url = `http://127.0.0.1:${port}`;
const bindings = {
  PYLON_ENV: 'development',
  PYLON_PUBLIC_URL: url,
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('PYLON_'))),
};
if (bindings.PYLON_ENV === 'development' && !bindings.PYLON_SECRET) {
  bindings.PYLON_SECRET = developmentSecret(persist);
}

const miniflare = new Miniflare({
  modules: [{ type: 'ESModule', path: 'index.js', contents: readFileSync(BUNDLE, 'utf8') }],
  ...compatibility(),
  durableObjects: { PYLON_STORE: { className: 'PylonStore', useSQLite: true } },
  kvNamespaces: ['PYLON_CACHE'],
  durableObjectsPersist: join(persist, 'do'),
  kvPersist: join(persist, 'kv'),
  bindings,
  host: '127.0.0.1',
  port,
  // Pylon reads no `request.cf`: miniflare's placeholder, not the copy it would fetch from Cloudflare.
  cf: false,
});
// Ctrl-C (SIGINT) or SIGTERM: miniflare stops workerd itself and exits (130, 143).
await miniflare.ready;
process.stdout.write(`Pylon Worker at ${url} (its Durable Object's SQLite and KV in ${persist})\n`);
