import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  findOrg,
  parseConfig,
  removeOrg,
  serializeConfig,
  setDefaultOrg,
  upsertOrg,
} from '../../src/config/config.js';
import { loadConfig, saveConfig } from '../../src/config/config-store.js';
import { configPath } from '../../src/paths.js';
import { temporaryHome } from '../support/environment.js';

const VALID = `
default_org: acme
orgs:
  - id: acme
    api_url: https://pylon.acme.test/o/acme/
    aliases: [work]
  - id: local
    api_url: http://127.0.0.1:4000
`;

describe('config file: parse and validate', () => {
  it('reads orgs, aliases and the default; api_url loses its trailing slash', () => {
    expect(parseConfig(VALID, 'config.yaml')).toEqual({
      default_org: 'acme',
      orgs: [
        { id: 'acme', api_url: 'https://pylon.acme.test/o/acme', aliases: ['work'] },
        { id: 'local', api_url: 'http://127.0.0.1:4000' },
      ],
    });
  });

  it('reads the file pylon-cli documents: default: true on an org, api_url the bare origin', () => {
    const text = [
      'default_org: acme',
      'orgs:',
      '  - id: acme',
      '    api_url: https://pylon.acme.internal',
      '    default: true',
      '  - id: acme-staging',
      '    api_url: https://pylon-staging.acme.internal',
      '',
    ].join('\n');
    const config = parseConfig(text, 'config.yaml');
    expect(config).toEqual({
      default_org: 'acme',
      orgs: [
        { id: 'acme', api_url: 'https://pylon.acme.internal', default: true },
        { id: 'acme-staging', api_url: 'https://pylon-staging.acme.internal' },
      ],
    });
    expect(parseConfig(serializeConfig(config), 'c')).toEqual(config);
    expect(() =>
      parseConfig('orgs:\n  - {id: acme, api_url: "https://a.test", default: yes-please}', 'c'),
    ).toThrow(/orgs\[0\]\.default must be true or false/);
  });

  it('an empty file is an empty config', () => {
    expect(parseConfig('', 'c')).toEqual({ orgs: [] });
    expect(parseConfig('# nothing yet\n', 'c')).toEqual({ orgs: [] });
  });

  it('serialises to YAML that parses back to the same config, with no secret in it', () => {
    const config = parseConfig(VALID, 'c');
    const text = serializeConfig(config);
    expect(parseConfig(text, 'c')).toEqual(config);
    expect(text).not.toMatch(/pylon_|pyat_/);
  });

  it.each([
    ['a list at the top', '- id: acme', /expected a mapping/],
    [
      'an unknown top-level key (a pasted token)',
      'session_token: pylon_abc\norgs: []',
      /unknown key `session_token`/,
    ],
    [
      'an unknown org key',
      'orgs:\n  - {id: acme, api_url: "https://a.test", token: x}',
      /unknown key `token`/,
    ],
    ['an id that is not a slug', 'orgs:\n  - {id: "Acme Corp", api_url: "https://a.test"}', /orgs\[0\]\.id/],
    ['a missing api_url', 'orgs:\n  - {id: acme}', /api_url must be a URL/],
    [
      'plain http to a remote host',
      'orgs:\n  - {id: acme, api_url: "http://pylon.acme.test"}',
      /must use https/,
    ],
    ['credentials in the URL', 'orgs:\n  - {id: acme, api_url: "https://u:p@a.test"}', /credentials/],
    [
      'an alias naming two orgs',
      'orgs:\n  - {id: acme, api_url: "https://a.test", aliases: [x]}\n  - {id: beta, api_url: "https://b.test", aliases: [x]}',
      /`x` names both acme and beta/,
    ],
    ['a default that is not listed', 'default_org: ghost\norgs: []', /default_org `ghost`/],
    ['duplicate keys', 'orgs: []\norgs: []', /not valid YAML/],
    ['broken YAML', 'orgs: [', /not valid YAML/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseConfig(text, 'config.yaml')).toThrow(ConfigError);
    expect(() => parseConfig(text, 'config.yaml')).toThrow(message);
  });
});

describe('config file: edits', () => {
  const config = parseConfig(VALID, 'c');

  it('finds an org by id or alias', () => {
    expect(findOrg(config, 'acme')?.id).toBe('acme');
    expect(findOrg(config, 'work')?.id).toBe('acme');
    expect(findOrg(config, 'nope')).toBeUndefined();
  });

  it('upsert updates the api_url and keeps the aliases a person wrote; adds new orgs at the end', () => {
    const moved = upsertOrg(config, { id: 'acme', api_url: 'https://new.acme.test/o/acme' });
    expect(moved.orgs[0]).toEqual({ id: 'acme', api_url: 'https://new.acme.test/o/acme', aliases: ['work'] });
    expect(upsertOrg(config, { id: 'beta', api_url: 'https://b.test' }).orgs.map((o) => o.id)).toEqual([
      'acme',
      'local',
      'beta',
    ]);
  });

  it('upsert keeps an api_url written as the bare origin of the discovered one (pylon-cli’s form)', () => {
    const bare = { orgs: [{ id: 'acme', api_url: 'https://pylon.acme.test', default: true }] };
    expect(upsertOrg(bare, { id: 'acme', api_url: 'https://pylon.acme.test/o/acme' }).orgs).toEqual(
      bare.orgs,
    );
    expect(upsertOrg(bare, { id: 'acme', api_url: 'https://moved.acme.test/o/acme' }).orgs).toEqual([
      { id: 'acme', api_url: 'https://moved.acme.test/o/acme', default: true },
    ]);
  });

  it('a new default takes pylon-cli’s default: true marker along, where the file uses it', () => {
    const marked = {
      default_org: 'acme',
      orgs: [
        { id: 'acme', api_url: 'https://a.test', default: true },
        { id: 'beta', api_url: 'https://b.test' },
      ],
    };
    expect(setDefaultOrg(marked, 'beta')).toEqual({
      default_org: 'beta',
      orgs: [
        { id: 'acme', api_url: 'https://a.test' },
        { id: 'beta', api_url: 'https://b.test', default: true },
      ],
    });
    expect(setDefaultOrg(config, 'local').orgs).toEqual(config.orgs);
  });

  it('removing the default org clears default_org; the default must be a listed org', () => {
    expect(removeOrg(config, 'acme')).toEqual({ orgs: [config.orgs[1]] });
    expect(removeOrg(config, 'local').default_org).toBe('acme');
    expect(setDefaultOrg(config, 'local').default_org).toBe('local');
    expect(() => setDefaultOrg(config, 'ghost')).toThrow(ConfigError);
  });
});

describe('config file: load and save', () => {
  let home: ReturnType<typeof temporaryHome>;
  beforeEach(() => {
    home = temporaryHome();
  });
  afterEach(() => home.remove());

  it('lives at ~/.pylon/config.yaml unless PYLON_CONFIG_PATH says otherwise', () => {
    expect(configPath({}, '/home/ada')).toBe('/home/ada/.pylon/config.yaml');
    expect(configPath({ PYLON_CONFIG_PATH: '/etc/pylon.yaml' }, '/home/ada')).toBe('/etc/pylon.yaml');
  });

  it('a missing file loads as an empty config; a saved one is private and loads back', async () => {
    const path = configPath({}, home.home);
    expect(await loadConfig(path)).toEqual({ orgs: [] });
    const config = parseConfig(VALID, 'c');
    await saveConfig(path, config);
    expect(await loadConfig(path)).toEqual(config);
    if (process.platform !== 'win32') {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(statSync(join(home.home, '.pylon')).mode & 0o777).toBe(0o700);
    }
    expect(readFileSync(path, 'utf8')).toContain('default_org: acme');
  });

  it('an invalid file names itself in the error', async () => {
    const path = join(home.home, 'broken.yaml');
    writeFileSync(path, 'orgs: 3\n');
    await expect(loadConfig(path)).rejects.toThrow(`${path}: \`orgs\` must be a list`);
  });
});
