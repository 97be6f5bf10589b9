import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packages = fileURLToPath(new URL('../../../', import.meta.url));
const BINS = [
  { pkg: 'cli', name: 'pylon', help: 'Usage: pylon' },
  { pkg: 'server', name: 'pylon-server', help: 'usage: pylon-server' },
];

const node = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });

/**
 * `npx pylon` right after `npm install`: npm links a workspace bin only if its target exists at
 * install time, before anything is built, so each bin is a committed shim outside dist/.
 */
describe.each(BINS)('the $name bin', ({ pkg, name, help }) => {
  const manifest = JSON.parse(readFileSync(join(packages, pkg, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
    files: string[];
  };

  it('points at a file that exists before any build, and is published', () => {
    const target = manifest.bin[name]!;
    expect(target.startsWith('./dist/')).toBe(false);
    expect(existsSync(join(packages, pkg, target))).toBe(true);
    expect(manifest.files).toContain(target.replace(/^\.\//, '').split('/')[0]);
  });

  it.skipIf(!existsSync(join(packages, pkg, 'dist', 'bin', `${name}.js`)))(
    'runs the built entry',
    async () => {
      const result = await node([join(packages, pkg, manifest.bin[name]!), '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(help);
    },
  );

  it('without a build and without TypeScript, says to run npm run build (exit 1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pylon-shim-'));
    try {
      mkdirSync(join(dir, 'bin'));
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      copyFileSync(join(packages, pkg, manifest.bin[name]!), join(dir, 'bin', `${name}.js`));
      const result = await node([join(dir, 'bin', `${name}.js`), '--help']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain(`error: ${name} is not built`);
      expect(result.stderr).toContain('hint: run `npm run build`');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
