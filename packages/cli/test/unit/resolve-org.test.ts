import { describe, expect, it, vi } from 'vitest';
import { CLIError } from '../../src/cli-error.js';
import type { PylonConfig } from '../../src/config/config.js';
import type { DiscoveredOrg } from '../../src/org/discovery.js';
import { assertMatchesCache, resolveOrg, verifyCachedOrg } from '../../src/org/resolve-org.js';

const config: PylonConfig = {
  default_org: 'acme',
  orgs: [
    { id: 'acme', api_url: 'https://pylon.acme.test/o/acme', aliases: ['work'] },
    { id: 'beta', api_url: 'https://pylon.beta.test/o/beta' },
  ],
};

/** A discovery that serves `gamma` everywhere, unless the map says otherwise. */
function discoveryOf(answers: Record<string, DiscoveredOrg> = {}) {
  return vi.fn(async (url: string): Promise<DiscoveredOrg> => {
    return answers[url] ?? { id: 'gamma', name: 'Gamma', api_url: `${url}/o/gamma` };
  });
}

async function exitOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CLIError) return error.exitCode;
    throw error;
  }
  return 0;
}

const GAMMA_URL = 'https://gamma.test';

describe('org resolution order (docs/CLI.md "Choosing the org")', () => {
  const everything = {
    PYLON_ORG_ID: 'beta',
    PYLON_ORG_URL: GAMMA_URL,
  };

  it('1. --org wins over everything else', async () => {
    const discover = discoveryOf();
    const org = await resolveOrg({ org: 'work' }, { config, env: everything, discover });
    expect(org).toMatchObject({ id: 'acme', api_url: 'https://pylon.acme.test/o/acme', source: '--org' });
    expect(discover).not.toHaveBeenCalled();
  });

  it('2. --org-url comes next, through /discover', async () => {
    const discover = discoveryOf();
    const org = await resolveOrg({ orgUrl: GAMMA_URL }, { config, env: { PYLON_ORG_ID: 'beta' }, discover });
    expect(org).toMatchObject({ id: 'gamma', api_url: `${GAMMA_URL}/o/gamma`, source: '--org-url' });
    expect(discover).toHaveBeenCalledWith(GAMMA_URL, '--org-url');
  });

  it('3. then PYLON_ORG_ID', async () => {
    const org = await resolveOrg({}, { config, env: everything, discover: discoveryOf() });
    expect(org).toMatchObject({ id: 'beta', source: 'PYLON_ORG_ID' });
  });

  it('4. then PYLON_ORG_URL', async () => {
    const org = await resolveOrg({}, { config, env: { PYLON_ORG_URL: GAMMA_URL }, discover: discoveryOf() });
    expect(org).toMatchObject({ id: 'gamma', source: 'PYLON_ORG_URL' });
  });

  it('5. then default_org', async () => {
    const org = await resolveOrg({}, { config, env: {}, discover: discoveryOf() });
    expect(org).toMatchObject({ id: 'acme', source: 'default_org' });
  });

  it('6. then a prompt on a TTY, by number or by name', async () => {
    const noDefault = { orgs: config.orgs };
    const prompt = vi.fn(async (_question: string) => '2');
    const org = await resolveOrg({}, { config: noDefault, env: {}, discover: discoveryOf(), prompt });
    expect(org).toMatchObject({ id: 'beta', source: 'prompt' });
    expect(prompt.mock.calls[0]![0]).toContain('1) acme');
    const byAlias = await resolveOrg(
      {},
      { config: noDefault, env: {}, discover: discoveryOf(), prompt: async () => 'work' },
    );
    expect(byAlias.id).toBe('acme');
    expect(
      await exitOf(
        resolveOrg({}, { config: noDefault, env: {}, discover: discoveryOf(), prompt: async () => '9' }),
      ),
    ).toBe(2);
  });

  it('7. else exit 2: no TTY, or nothing configured to choose from', async () => {
    const empty = { orgs: [] };
    expect(
      await exitOf(resolveOrg({}, { config: { orgs: config.orgs }, env: {}, discover: discoveryOf() })),
    ).toBe(2);
    expect(
      await exitOf(
        resolveOrg({}, { config: empty, env: {}, discover: discoveryOf(), prompt: async () => '1' }),
      ),
    ).toBe(2);
  });

  it('exit 2 for an --org or PYLON_ORG_ID that is not in the config (and no URL to discover)', async () => {
    expect(await exitOf(resolveOrg({ org: 'ghost' }, { config, env: {}, discover: discoveryOf() }))).toBe(2);
    expect(
      await exitOf(resolveOrg({}, { config, env: { PYLON_ORG_ID: 'ghost' }, discover: discoveryOf() })),
    ).toBe(2);
  });

  it('headless: PYLON_ORG_ID not in the config is found through PYLON_ORG_URL, and must match it', async () => {
    const env = { PYLON_ORG_ID: 'gamma', PYLON_ORG_URL: GAMMA_URL };
    const org = await resolveOrg({}, { config: { orgs: [] }, env, discover: discoveryOf() });
    expect(org).toMatchObject({ id: 'gamma', source: 'PYLON_ORG_ID' });
    const wrong = { PYLON_ORG_ID: 'delta', PYLON_ORG_URL: GAMMA_URL };
    expect(await exitOf(resolveOrg({}, { config: { orgs: [] }, env: wrong, discover: discoveryOf() }))).toBe(
      8,
    );
  });

  it('--org with --org-url: the URL must serve that org (exit 8)', async () => {
    const discover = discoveryOf();
    expect(await exitOf(resolveOrg({ org: 'gamma', orgUrl: GAMMA_URL }, { config, env: {}, discover }))).toBe(
      0,
    );
    expect(await exitOf(resolveOrg({ org: 'acme', orgUrl: GAMMA_URL }, { config, env: {}, discover }))).toBe(
      8,
    );
  });

  it('discovery errors keep their own exit codes (3)', async () => {
    const failing = vi.fn(async () => {
      throw new CLIError(3, 'discovery failed');
    });
    expect(await exitOf(resolveOrg({ orgUrl: GAMMA_URL }, { config, env: {}, discover: failing }))).toBe(3);
  });
});

describe('cache against discovery (exit 8)', () => {
  it('the cached org at another api_url than discovery says', () => {
    const moved = { id: 'acme', name: 'Acme', api_url: 'https://elsewhere.test/o/acme' };
    expect(() => assertMatchesCache(config, moved, 'https://elsewhere.test')).toThrow(
      expect.objectContaining({
        exitCode: 8,
        message: expect.stringContaining('cached org does not match discovery'),
      }),
    );
  });

  it('a URL the config gives to one org now serving another', () => {
    const impostor = { id: 'gamma', name: 'G', api_url: 'https://pylon.acme.test/o/acme' };
    expect(() => assertMatchesCache(config, impostor, 'https://pylon.acme.test/o/acme')).toThrow(
      expect.objectContaining({ exitCode: 8, hint: expect.stringContaining('pylon forget --org acme') }),
    );
  });

  it('a consistent discovery passes', () => {
    const same = { id: 'acme', name: 'Acme', api_url: 'https://pylon.acme.test/o/acme' };
    expect(() => assertMatchesCache(config, same, 'https://pylon.acme.test')).not.toThrow();
  });

  it('an api_url written as the bare origin (pylon-cli’s form) is the same org as its discovered base', async () => {
    const bare = { id: 'default', api_url: 'http://localhost:4102' };
    const atRoot = discoveryOf({
      [bare.api_url]: { id: 'default', name: 'Default', api_url: 'http://localhost:4102/o/default' },
    });
    await expect(verifyCachedOrg(bare, atRoot)).resolves.toMatchObject({
      api_url: 'http://localhost:4102/o/default',
    });
    const written = { orgs: [bare] };
    const discovered = { id: 'default', name: 'D', api_url: 'http://localhost:4102/o/default' };
    expect(() => assertMatchesCache(written, discovered, 'http://localhost:4102')).not.toThrow();
    // Another origin, or another org at that origin, is still a mismatch.
    const elsewhere = { ...discovered, api_url: 'http://localhost:4103/o/default' };
    expect(() => assertMatchesCache(written, elsewhere, 'http://localhost:4103')).toThrow(
      expect.objectContaining({ exitCode: 8 }),
    );
    const other = discoveryOf({
      [bare.api_url]: { id: 'acme', name: 'A', api_url: 'http://localhost:4102/o/acme' },
    });
    expect(await exitOf(verifyCachedOrg(bare, other))).toBe(8);
  });

  it('default: true (pylon-cli’s marker) does not choose the org; default_org does, as in pylon-cli', async () => {
    const marked: PylonConfig = { orgs: [{ id: 'acme', api_url: 'https://pylon.acme.test', default: true }] };
    expect(await exitOf(resolveOrg({}, { config: marked, env: {}, discover: discoveryOf() }))).toBe(2);
    const both = { ...marked, default_org: 'acme' };
    await expect(resolveOrg({}, { config: both, env: {}, discover: discoveryOf() })).resolves.toMatchObject({
      id: 'acme',
      source: 'default_org',
    });
  });

  it('re-discovering a cached org at its api_url must give the same id and api_url', async () => {
    const entry = config.orgs[0]!;
    const same = discoveryOf({ [entry.api_url]: { id: 'acme', name: 'A', api_url: entry.api_url } });
    await expect(verifyCachedOrg(entry, same)).resolves.toMatchObject({ id: 'acme' });
    const replaced = discoveryOf({ [entry.api_url]: { id: 'other', name: 'O', api_url: entry.api_url } });
    expect(await exitOf(verifyCachedOrg(entry, replaced))).toBe(8);
  });
});
