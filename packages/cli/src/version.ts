import { readFileSync } from 'node:fs';

/**
 * The package version, read once from package.json: one level above both `src/` (tests) and
 * `dist/` (the built binary), so the same relative URL serves both.
 */
function readPackageVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const version = (JSON.parse(text) as { version?: unknown }).version;
  if (typeof version !== 'string') throw new Error('@pylon/cli package.json has no version');
  return version;
}

export const PACKAGE_VERSION = readPackageVersion();

/**
 * The version the CLI reports in `_prepared.cli_version` and in its `client` name.
 * `PYLON_CLI_VERSION_OVERRIDE` pins it so prepared files are reproducible across upgrades and in
 * the conformance test (conformance/schema-prepare).
 */
export function cliVersion(env: Readonly<Record<string, string | undefined>>): string {
  const override = env['PYLON_CLI_VERSION_OVERRIDE'];
  return override !== undefined && override !== '' ? override : PACKAGE_VERSION;
}
