import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run, temporaryHome } from '../support/environment.js';

// The pylon-cli 0.3.1 reference pair, vendored byte for byte in packages/core/test/fixtures/.
const conformance = new URL('../../../core/test/fixtures/schema-prepare/', import.meta.url);
const BARE = fileURLToPath(new URL('reference.bare.yaml', conformance));
const PREPARED = readFileSync(new URL('reference.prepared.json', conformance), 'utf8');
const PIN = { PYLON_CLI_VERSION_OVERRIDE: '0.0.0-test' };

describe('pylon schema prepare', () => {
  let dir: ReturnType<typeof temporaryHome>;
  beforeEach(() => {
    dir = temporaryHome();
  });
  afterEach(() => dir.remove());
  const path = (name: string) => join(dir.home, name);

  it('conformance README §1: reference.bare.yaml for app example gives reference.prepared.json byte for byte', async () => {
    const result = await run(['schema', 'prepare', '--source', BARE, '--app', 'example'], { env: PIN });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(PREPARED);
  });

  it('--out writes the same bytes', async () => {
    const out = path('schema.prepared.json');
    const result = await run(['schema', 'prepare', '--source', BARE, '--app', 'example', '--out', out], {
      env: PIN,
    });
    expect(result.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(PREPARED);
    expect(result.stderr).toContain(`wrote ${out}`);
  });

  it('without the pin, cli_version is the package version', async () => {
    const result = await run(['schema', 'prepare', '--source', BARE, '--app', 'example']);
    const version = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
    expect(JSON.parse(result.stdout)._prepared.cli_version).toBe(version);
  });

  describe('--check', () => {
    it('exit 0 when the prepared file is exactly what the source gives', async () => {
      const out = path('p.json');
      writeFileSync(out, PREPARED);
      const result = await run(
        ['schema', 'prepare', '--source', BARE, '--app', 'example', '--out', out, '--check'],
        {
          env: PIN,
        },
      );
      expect(result.code).toBe(0);
      expect(result.stderr).toContain('up to date');
    });

    it('a newer CLI version is not drift: the file’s own cli_version is kept for the comparison', async () => {
      const out = path('p.json');
      writeFileSync(out, PREPARED);
      const result = await run(
        ['schema', 'prepare', '--source', BARE, '--app', 'example', '--out', out, '--check'],
        {
          env: { PYLON_CLI_VERSION_OVERRIDE: '9.9.9' },
        },
      );
      expect(result.code).toBe(0);
    });

    it('exit 12 when the source changed, the file was edited, or the file is missing; nothing is written', async () => {
      const out = path('p.json');
      writeFileSync(out, PREPARED);
      const source = path('schema.yaml');
      writeFileSync(source, `${readFileSync(BARE, 'utf8')}# edited\n`);
      const changed = await run(
        ['schema', 'prepare', '--source', source, '--app', 'example', '--out', out, '--check'],
        {
          env: PIN,
        },
      );
      expect(changed.code).toBe(12);
      expect(changed.stderr).toContain('the source changed since the file was prepared');
      expect(readFileSync(out, 'utf8')).toBe(PREPARED);

      writeFileSync(out, PREPARED.replace('"Read worlds"', '"Read all worlds"'));
      const edited = await run(
        ['schema', 'prepare', '--source', BARE, '--app', 'example', '--out', out, '--check'],
        {
          env: PIN,
        },
      );
      expect(edited.code).toBe(12);

      const missing = await run(
        ['schema', 'prepare', '--source', BARE, '--app', 'example', '--out', path('none.json'), '--check'],
        { env: PIN },
      );
      expect(missing.code).toBe(12);
      expect(missing.stderr).toContain('does not exist');
    });

    it('--check without --out compares with the deployed schema, so it needs an org (else exit 2)', async () => {
      const result = await run(['schema', 'prepare', '--source', BARE, '--app', 'example', '--check']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('no org selected');
    });
  });

  it.each([
    [
      'an undeclared capability',
      'version_tag: "1"\ncapabilities: []\narchetypes:\n  - {name: a, capabilities: [nope]}\n',
    ],
    [
      'an inherits cycle',
      'version_tag: "1"\ncapabilities: [{name: c}]\narchetypes:\n  - {name: a, capabilities: [c], inherits: [b]}\n  - {name: b, capabilities: [c], inherits: [a]}\n',
    ],
    ['not YAML at all', 'version_tag: [\n'],
    ['an empty file', ''],
  ])('exit 11 for an invalid source: %s', async (_name, text) => {
    const source = path('bad.yaml');
    writeFileSync(source, text);
    const result = await run(['schema', 'prepare', '--source', source, '--app', 'example']);
    expect(result.code).toBe(11);
    expect(result.stderr).toMatch(/^error: invalid schema source \(invalid_schema\)/);
    expect(result.stdout).toBe('');
  });

  it('the cycle is named in the message', async () => {
    const source = path('cycle.yaml');
    writeFileSync(
      source,
      'version_tag: "1"\ncapabilities: [{name: c}]\narchetypes:\n  - {name: a, capabilities: [c], inherits: [b]}\n  - {name: b, capabilities: [c], inherits: [a]}\n',
    );
    expect((await run(['schema', 'prepare', '--source', source, '--app', 'example'])).stderr).toMatch(
      /a -> b -> a|b -> a -> b/,
    );
  });

  it('exit 2 for an app id that cannot be a namespace, or a source that cannot be read', async () => {
    expect((await run(['schema', 'prepare', '--source', BARE, '--app', 'Not:An:App'])).code).toBe(2);
    expect(
      (await run(['schema', 'prepare', '--source', path('missing.yaml'), '--app', 'example'])).code,
    ).toBe(2);
  });
});

describe('schema push and diff refuse unprepared or tampered files before any request (exit 10)', () => {
  let dir: ReturnType<typeof temporaryHome>;
  beforeEach(() => {
    dir = temporaryHome();
  });
  afterEach(() => dir.remove());

  // No org is configured and nothing listens: reaching the network would fail differently.
  const cases: Array<[string, () => string]> = [
    ['a hand-edited prepared file', () => PREPARED.replace('"Read worlds"', '"Read all worlds"')],
    ['the bare source itself', () => readFileSync(BARE, 'utf8')],
    ['a file prepared for another app', () => PREPARED.replaceAll('example:', 'other:')],
    ['not JSON', () => '{'],
  ];

  it.each(cases)('push: %s', async (_name, content) => {
    const file = join(dir.home, 'p.json');
    writeFileSync(file, content());
    const result = await run(['schema', 'push', '--app', 'example', '--file', file], {
      env: { PYLON_APP_TOKEN: 'pyat_x' },
      fetch: () => {
        throw new Error('no request may be sent');
      },
    });
    expect(result.code).toBe(10);
    expect(result.stderr).toMatch(/^error: not a prepared schema for this app/);
    expect(result.stderr).toContain('hint: prepare it from its source');
  });

  it('diff: a tampered file', async () => {
    const file = join(dir.home, 'p.json');
    writeFileSync(file, PREPARED.replace('"Read worlds"', '"Read all worlds"'));
    const result = await run(['schema', 'diff', '--app', 'example', '--file', file]);
    expect(result.code).toBe(10);
    expect(result.stderr).toContain('tampered');
  });

  it('push without any app token is a usage error', async () => {
    const file = join(dir.home, 'p.json');
    writeFileSync(file, PREPARED);
    const result = await run(['schema', 'push', '--app', 'example', '--file', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('PYLON_APP_TOKEN');
  });
});
