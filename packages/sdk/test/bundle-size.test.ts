import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../src/verify.ts', import.meta.url));

describe('@pylon/sdk/verify stays small', () => {
  it('bundles (jose external) to at most 8 KB gzipped, without @pylon/core or schema code', async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      external: ['jose'],
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.contents;
    const gzipped = gzipSync(code).length;
    expect(gzipped).toBeLessThanOrEqual(8 * 1024);
    const text = new TextDecoder().decode(code);
    expect(text).not.toMatch(/verifyPreparedSchema|x-pylon-app-token|node:/);
  });
});
