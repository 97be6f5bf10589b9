import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:workers`: Pylon's Worker bundle in miniflare (workerd). Only these files: the main
// config (`npm test`) excludes them, and CI runs both (.ci/run). The aliases are the main config's.
export default defineConfig({
  resolve: base.resolve,
  test: {
    include: ['packages/server/test/workers/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['./test/global-setup.ts', './packages/server/test/workers/support/build.ts'],
  },
});
