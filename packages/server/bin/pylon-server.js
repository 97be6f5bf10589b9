#!/usr/bin/env node
// The bin npm links. npm links a workspace's bin at install time only if its target exists, and
// dist/ is built after install, so the target is this committed file: it runs the built entry,
// and in a source checkout that has not been built yet (right after `npm install`) it builds
// this package first (`tsc -b`, offline, incremental).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/bin/pylon-server.js', import.meta.url);
if (!existsSync(entry)) build();
await import(entry.href);

function build() {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    fail('pylon-server is not built and TypeScript is not installed here');
  }
  process.stderr.write('pylon-server is not built yet: building it once (tsc -b)…\n');
  const project = fileURLToPath(new URL('../tsconfig.json', import.meta.url));
  // Compiler output goes to stderr: stdout is the command's result.
  const built = spawnSync(process.execPath, [tsc, '-b', project], { stdio: ['ignore', 2, 2] });
  if (built.status !== 0 || !existsSync(entry)) fail('building pylon-server failed');
}

function fail(reason) {
  process.stderr.write(`error: ${reason}\nhint: run \`npm run build\` at the repository root\n`);
  process.exit(1);
}
