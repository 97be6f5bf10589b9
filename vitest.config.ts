import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// One runner for every package: tests import workspace packages from source, so `npm test`
// needs no build step beyond the type check it runs first.
export default defineConfig({
  resolve: {
    alias: {
      // Subpaths first: a string alias also matches `@pylon/core/…`, and the first match wins.
      '@pylon/core/jwt-checks': fileURLToPath(new URL('./packages/core/src/jwt-checks.ts', import.meta.url)),
      '@pylon/core/slug': fileURLToPath(new URL('./packages/core/src/slug.ts', import.meta.url)),
      '@pylon/core/policy': fileURLToPath(new URL('./packages/core/src/policy/index.ts', import.meta.url)),
      '@pylon/core/wire': fileURLToPath(new URL('./packages/core/src/wire/index.ts', import.meta.url)),
      '@pylon/core': src('core'),
      '@pylon/server': src('server'),
      // Subpaths first: a string alias also matches `@pylon/sdk/…`, and the first match wins.
      '@pylon/sdk/verify': fileURLToPath(new URL('./packages/sdk/src/verify.ts', import.meta.url)),
      '@pylon/sdk/policies': fileURLToPath(new URL('./packages/sdk/src/policies.ts', import.meta.url)),
      '@pylon/sdk/schema': fileURLToPath(new URL('./packages/sdk/src/schema.ts', import.meta.url)),
      '@pylon/sdk': src('sdk'),
      '@pylon/cli': src('cli'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/bench/**/*.test.ts'],
    // Pylon on Workers (miniflare) runs in its own command: `npm run test:workers`.
    exclude: ['**/node_modules/**', 'packages/server/test/workers/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    globalSetup: ['./test/global-setup.ts'],
  },
});
