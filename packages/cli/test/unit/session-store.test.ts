import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { saveConfig } from '../../src/config/config-store.js';
import { FileSessionStore } from '../../src/session/file-session-store.js';
import { SessionVault } from '../../src/session/session-vault.js';
import {
  kernelSessionKeyring,
  memoryKeyring,
  run,
  temporaryHome,
  testEnvironment,
} from '../support/environment.js';

describe('session stores', () => {
  let home: ReturnType<typeof temporaryHome>;
  beforeEach(() => {
    home = temporaryHome();
  });
  afterEach(() => home.remove());

  const sessionFile = () => join(home.home, '.pylon', 'sessions', 'acme');

  it('the file store writes 0600 files in a 0700 directory under ~/.pylon/sessions', async () => {
    const store = new FileSessionStore(join(home.home, '.pylon', 'sessions'));
    await store.set('acme', 'pylon_secret');
    expect(readFileSync(sessionFile(), 'utf8')).toBe('pylon_secret\n');
    if (process.platform !== 'win32') {
      expect(statSync(sessionFile()).mode & 0o777).toBe(0o600);
      expect(statSync(join(home.home, '.pylon', 'sessions')).mode & 0o777).toBe(0o700);
    }
    expect(await store.get('acme')).toBe('pylon_secret');
    expect(await store.delete('acme')).toBe(true);
    expect(await store.get('acme')).toBeNull();
  });

  it('a pre-existing, too-open session file becomes 0600 when rewritten', async () => {
    const store = new FileSessionStore(join(home.home, '.pylon', 'sessions'));
    await store.set('acme', 'first');
    writeFileSync(sessionFile(), 'old\n', { mode: 0o644 });
    await store.set('acme', 'second');
    if (process.platform !== 'win32') expect(statSync(sessionFile()).mode & 0o777).toBe(0o600);
  });

  it('refuses an org id that could escape the directory', () => {
    const store = new FileSessionStore(join(home.home, '.pylon', 'sessions'));
    expect(() => store.location('../config.yaml')).toThrow(/not an org id/);
  });

  it('no keyring service (a failing keyring call): the session falls back to the file', async () => {
    const vault = new SessionVault(testEnvironment({ home: home.home }));
    expect(await vault.save('acme', 'pylon_a')).toMatchObject({ source: 'file', location: sessionFile() });
    expect(await vault.find('acme')).toMatchObject({ token: 'pylon_a', source: 'file' });
  });

  it('a working keyring is used (service pylon-cli, account session:<org>), and no file is written', async () => {
    const keyring = memoryKeyring();
    const vault = new SessionVault(testEnvironment({ home: home.home, keyring }));
    expect(await vault.save('acme', 'pylon_k')).toMatchObject({ source: 'keyring' });
    expect(keyring.entries.get('pylon-cli/session:acme')).toBe('pylon_k');
    expect(existsSync(sessionFile())).toBe(false);
    expect(await vault.find('acme')).toMatchObject({ token: 'pylon_k', source: 'keyring' });
    expect(await vault.remove('acme')).toEqual(['keyring']);
    expect(await vault.find('acme')).toBeNull();
  });

  it('auto on Linux without a Secret Service: the kernel keyring is skipped for the 0600 file', async () => {
    const keyring = kernelSessionKeyring();
    keyring.entries.set('pylon-cli/session:acme', 'pylon_stale');
    const vault = new SessionVault(testEnvironment({ home: home.home, keyring }));
    expect(await vault.save('acme', 'pylon_k')).toMatchObject({ source: 'file', location: sessionFile() });
    expect(readFileSync(sessionFile(), 'utf8')).toBe('pylon_k\n');
    // A stale kernel-keyring copy would shadow the file for this process only.
    expect(keyring.entries.size).toBe(0);
  });

  it('auto: a keyring write that a new process cannot read falls back to the file', async () => {
    const keyring = { ...memoryKeyring(), readableByAnotherProcess: async () => false };
    const vault = new SessionVault(testEnvironment({ home: home.home, keyring }));
    expect(await vault.save('acme', 'pylon_k')).toMatchObject({ source: 'file' });
    expect(keyring.entries.size).toBe(0);
    expect(await vault.find('acme')).toMatchObject({ token: 'pylon_k', source: 'file' });
  });

  it('auto: a keyring that does not give the secret back falls back to the file', async () => {
    const keyring = { ...memoryKeyring(), get: () => null };
    const vault = new SessionVault(testEnvironment({ home: home.home, keyring }));
    expect(await vault.save('acme', 'pylon_k')).toMatchObject({ source: 'file' });
  });

  it('PYLON_KEYRING=keyring on Linux without a Secret Service exits 5 and keeps nothing', async () => {
    // Its kernel keyring can pass the read-back in a child process and still be gone for the next
    // command: the missing durable backend alone refuses.
    const keyring = { ...kernelSessionKeyring(), readableByAnotherProcess: async () => true };
    const vault = new SessionVault(
      testEnvironment({ home: home.home, keyring, env: { PYLON_KEYRING: 'keyring' } }),
    );
    await expect(vault.save('acme', 'x')).rejects.toMatchObject({
      exitCode: 5,
      message: expect.stringContaining('no Secret Service answers on D-Bus'),
    });
    expect(keyring.entries.size).toBe(0);
    expect(existsSync(sessionFile())).toBe(false);
  });

  it('a login checks the store first: keyring mode without a durable keyring fails before any approval', async () => {
    const kernel = new SessionVault(
      testEnvironment({
        home: home.home,
        keyring: kernelSessionKeyring(),
        env: { PYLON_KEYRING: 'keyring' },
      }),
    );
    await expect(kernel.checkStore()).rejects.toMatchObject({
      exitCode: 5,
      message: expect.stringContaining('no Secret Service answers on D-Bus'),
    });
    const noModule = new SessionVault(
      testEnvironment({ home: home.home, keyring: null, env: { PYLON_KEYRING: 'keyring' } }),
    );
    await expect(noModule.checkStore()).rejects.toMatchObject({ exitCode: 5 });
    // A durable keyring, or any other mode, passes: auto falls back to the file anyway.
    const durable = new SessionVault(
      testEnvironment({ home: home.home, keyring: memoryKeyring(), env: { PYLON_KEYRING: 'keyring' } }),
    );
    await expect(durable.checkStore()).resolves.toBeUndefined();
    const auto = new SessionVault(testEnvironment({ home: home.home, keyring: kernelSessionKeyring() }));
    await expect(auto.checkStore()).resolves.toBeUndefined();
  });

  it('PYLON_KEYRING=keyring with a keyring a new process cannot read exits 5 and keeps nothing', async () => {
    const keyring = { ...memoryKeyring(), readableByAnotherProcess: async () => false };
    const vault = new SessionVault(
      testEnvironment({ home: home.home, keyring, env: { PYLON_KEYRING: 'keyring' } }),
    );
    await expect(vault.save('acme', 'x')).rejects.toMatchObject({
      exitCode: 5,
      message: expect.stringContaining('a new process cannot read it'),
    });
    expect(keyring.entries.size).toBe(0);
    expect(existsSync(sessionFile())).toBe(false);
  });

  it('PYLON_KEYRING=file never touches the keyring', async () => {
    const keyring = memoryKeyring();
    const vault = new SessionVault(
      testEnvironment({ home: home.home, keyring, env: { PYLON_KEYRING: 'file' } }),
    );
    expect(await vault.save('acme', 'pylon_f')).toMatchObject({ source: 'file' });
    expect(keyring.entries.size).toBe(0);
  });

  it('PYLON_KEYRING=keyring with no keyring service fails with exit 5', async () => {
    const vault = new SessionVault(testEnvironment({ home: home.home, env: { PYLON_KEYRING: 'keyring' } }));
    await expect(vault.save('acme', 'x')).rejects.toMatchObject({ exitCode: 5 });
    await expect(vault.findStored('acme')).rejects.toMatchObject({ exitCode: 5 });
    const noModule = new SessionVault(
      testEnvironment({ home: home.home, keyring: null, env: { PYLON_KEYRING: 'keyring' } }),
    );
    await expect(noModule.save('acme', 'x')).rejects.toMatchObject({ exitCode: 5 });
  });

  it('an unknown PYLON_KEYRING value is a usage error', () => {
    expect(() => new SessionVault(testEnvironment({ env: { PYLON_KEYRING: 'vault' } }))).toThrow(
      expect.objectContaining({ exitCode: 2 }),
    );
  });

  it('PYLON_SESSION_TOKEN wins over the keyring and the file', async () => {
    const keyring = memoryKeyring();
    const stored = new SessionVault(testEnvironment({ home: home.home, keyring }));
    await stored.save('acme', 'pylon_stored');
    const withEnv = new SessionVault(
      testEnvironment({ home: home.home, keyring, env: { PYLON_SESSION_TOKEN: 'pylon_env' } }),
    );
    expect(await withEnv.find('acme')).toEqual({
      token: 'pylon_env',
      source: 'env',
      location: 'PYLON_SESSION_TOKEN',
    });
    expect(await withEnv.findStored('acme')).toMatchObject({ token: 'pylon_stored' });
  });

  it('an unwritable session directory is a keyring failure (exit 5)', async () => {
    if (process.platform === 'win32' || process.getuid?.() === 0) return; // root writes anywhere
    writeFileSync(join(home.home, '.pylon'), 'not a directory');
    const vault = new SessionVault(testEnvironment({ home: home.home, env: { PYLON_KEYRING: 'file' } }));
    await expect(vault.save('acme', 'x')).rejects.toMatchObject({ exitCode: 5 });
  });
});

describe('no session for the org: exit 7', () => {
  let home: ReturnType<typeof temporaryHome>;
  beforeEach(() => {
    home = temporaryHome();
  });
  afterEach(() => home.remove());

  it.each([[['whoami']], [['app', 'list']], [['role', 'list', '--app', 'x']], [['audit', 'tail']]])(
    'pylon %j',
    async (argv) => {
      await saveConfig(join(home.home, '.pylon', 'config.yaml'), {
        default_org: 'acme',
        orgs: [{ id: 'acme', api_url: 'http://127.0.0.1:9' }],
      });
      const result = await run(argv, { home: home.home });
      expect(result.code).toBe(7);
      expect(result.stderr).toContain('error: no session for org `acme`');
      expect(result.stderr).toContain('hint: run `pylon login --org acme`');
    },
  );

  it('names the URL to log in with when the org came from --org-url, not from the config', async () => {
    const discovered = { id: 'acme', name: 'Acme', api_url: 'http://127.0.0.1:9/o/acme' };
    const result = await run(['whoami', '--org-url', 'http://127.0.0.1:9/o/acme'], {
      home: home.home,
      fetch: async (url) =>
        String(url).endsWith('/discover')
          ? Response.json(discovered)
          : Response.json({ error: 'not_found' }, { status: 404 }),
    });
    expect(result.code).toBe(7);
    expect(result.stderr).toContain('hint: run `pylon login --org-url http://127.0.0.1:9/o/acme`');
  });
});
