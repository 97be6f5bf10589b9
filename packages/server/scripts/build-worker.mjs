#!/usr/bin/env node
/**
 * Bundle Pylon for Cloudflare Workers from source (TypeScript, no `tsc` step needed):
 * packages/server/src/workers/index.ts → packages/server/dist/worker/index.js (git-ignored).
 *
 * The Hono app and every feature are bundled unchanged. Only the platform ports that need Node's
 * native modules are swapped for their Workers variants (src/platform/*-web.ts), and the build
 * fails if a Node-only package still ends up in the bundle. Node built-ins (`node:crypto`, …) stay
 * imports: Workers provide them under the `nodejs_compat` flag.
 *
 * usage: node packages/server/scripts/build-worker.mjs [--outdir DIR]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const server = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const core = resolve(server, '../core/src');
const platform = join(server, 'src/platform');

/** Node-only packages and what replaces them on Workers. */
const REPLACED = {
  'better-sqlite3': join(platform, 'unavailable-web.ts'),
  pg: join(platform, 'unavailable-web.ts'),
  nodemailer: join(platform, 'unavailable-web.ts'),
  'prom-client': join(platform, 'unavailable-web.ts'),
  pino: join(platform, 'unavailable-web.ts'),
  '@hono/node-server': join(platform, 'unavailable-web.ts'),
  '@node-rs/argon2': join(platform, 'argon2-web.ts'),
};

/** Platform modules with a Workers variant beside them (`x.ts` → `x-web.ts`). */
const PLATFORM_VARIANTS = ['guarded-fetch', 'ed25519'];

/** @pylon/core from its source, so the bundle never depends on a stale `tsc` build. */
const CORE_ENTRIES = {
  '@pylon/core': join(core, 'index.ts'),
  '@pylon/core/wire': join(core, 'wire/index.ts'),
  '@pylon/core/policy': join(core, 'policy/index.ts'),
  '@pylon/core/jwt-checks': join(core, 'jwt-checks.ts'),
  '@pylon/core/slug': join(core, 'slug.ts'),
};

const workersPlatform = {
  name: 'pylon-workers-platform',
  setup(builder) {
    // CommonJS dependencies `require('crypto')`: an ES module bundle has no `require`, so each
    // built-in they load becomes a small module re-exporting the runtime's `node:` one.
    builder.onResolve({ filter: /^(node:)?[a-z_]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (args.kind !== 'require-call' || !builtinModules.includes(name)) return undefined;
      return { path: name, namespace: 'node-builtin' };
    });
    builder.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({
      contents: `import * as all from 'node:${args.path}'; export * from 'node:${args.path}'; export default all.default ?? all;`,
      loader: 'js',
    }));
    builder.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (Object.hasOwn(CORE_ENTRIES, args.path)) return { path: CORE_ENTRIES[args.path] };
      if (Object.hasOwn(REPLACED, args.path)) return { path: REPLACED[args.path] };
      // Relative imports of a platform module with a Workers variant (written with `.js`, as tsc wants).
      const match = /(?:^|\/)platform\/([a-z0-9-]+)\.js$|^\.\/([a-z0-9-]+)\.js$/.exec(args.path);
      const name = match?.[1] ?? match?.[2];
      if (name && PLATFORM_VARIANTS.includes(name)) {
        const target = resolve(args.resolveDir, args.path);
        if (target === join(platform, `${name}.js`)) return { path: join(platform, `${name}-web.ts`) };
      }
      // Source files import each other as `.js`; resolve them to the `.ts` beside them.
      if (args.path.startsWith('.') && args.path.endsWith('.js') && args.importer.endsWith('.ts')) {
        return { path: resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')) };
      }
      return undefined;
    });
  },
};

/** Bundle `entry` (default: the Worker) into `outdir`/index.js; resolves with that file's path. */
export async function buildWorker(
  outdir = join(server, 'dist/worker'),
  entry = join(server, 'src/workers/index.ts'),
) {
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [entry],
    outfile: join(outdir, 'index.js'),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'es2023',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['node:*', 'cloudflare:*'],
    plugins: [workersPlatform],
    metafile: true,
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs);
  const leaked = inputs.filter((input) =>
    /node_modules\/(better-sqlite3|pg|pg-pool|nodemailer|prom-client|pino|@node-rs|@hono\/node-server)\//.test(
      input,
    ),
  );
  // A Node variant that slipped past the swap (an import the pattern above did not match).
  leaked.push(
    ...inputs.filter((input) => PLATFORM_VARIANTS.some((name) => input.endsWith(`src/platform/${name}.ts`))),
  );
  if (leaked.length > 0) throw new Error(`Node-only modules in the Worker bundle:\n  ${leaked.join('\n  ')}`);
  writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
  return join(outdir, 'index.js');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--outdir');
  const file = await buildWorker(at > 0 ? resolve(process.argv[at + 1]) : undefined);
  process.stdout.write(`Worker bundle: ${file}\n`);
}
