import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CLIEnvironment } from '../../src/environment.js';
import { runCLI } from '../../src/program.js';
import type { KeyringPort } from '../../src/session/keyring.js';

/** A keyring like Linux CI's: the module loads, but there is no Secret Service to answer. */
export const absentKeyring: KeyringPort = {
  get() {
    throw new Error('Platform secure storage failure: no Secret Service');
  },
  set() {
    throw new Error('Platform secure storage failure: no Secret Service');
  },
  delete() {
    throw new Error('Platform secure storage failure: no Secret Service');
  },
  hasDurableBackend: async () => false,
  readableByAnotherProcess: async () => false,
};

/** A working keyring, in memory, that records what it holds. */
export function memoryKeyring(): KeyringPort & { entries: Map<string, string> } {
  const entries = new Map<string, string>();
  return {
    entries,
    get: (service, account) => entries.get(`${service}/${account}`) ?? null,
    set: (service, account, secret) => void entries.set(`${service}/${account}`, secret),
    delete: (service, account) => entries.delete(`${service}/${account}`),
    hasDurableBackend: async () => true,
    readableByAnotherProcess: async (service, account, secret) =>
      entries.get(`${service}/${account}`) === secret,
  };
}

/**
 * Linux without a Secret Service: `@napi-rs/keyring` falls back to the kernel's session keyring,
 * which takes the write and reads it back in this process, but the next process starts without it.
 */
export function kernelSessionKeyring(): KeyringPort & { entries: Map<string, string> } {
  return {
    ...memoryKeyring(),
    hasDurableBackend: async () => false,
    readableByAnotherProcess: async () => false,
  };
}

export interface TestEnvironmentOptions {
  env?: Record<string, string>;
  home?: string;
  fetch?: typeof globalThis.fetch;
  keyring?: KeyringPort | null;
  stdin?: string;
  tty?: boolean;
  prompt?: (question: string) => Promise<string>;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
  openBrowser?: (url: string) => void;
  interrupt?: AbortSignal;
  platform?: NodeJS.Platform;
}

export interface TestEnvironment extends CLIEnvironment {
  readonly stdoutText: () => string;
  readonly stderrText: () => string;
}

/** A temporary home directory, removed by the returned function. */
export function temporaryHome(): { home: string; remove(): void } {
  const home = mkdtempSync(join(tmpdir(), 'pylon-cli-test-'));
  return { home, remove: () => rmSync(home, { recursive: true, force: true }) };
}

/** An in-memory environment: captured output, a fake keyring, no terminal, no real waiting. */
export function testEnvironment(options: TestEnvironmentOptions = {}): TestEnvironment {
  let stdout = '';
  let stderr = '';
  const tty = options.tty ?? false;
  return {
    env: { ...options.env },
    fetch: options.fetch ?? globalThis.fetch,
    stdout: {
      write: (text) => {
        stdout += text;
      },
      isTTY: tty,
    },
    stderr: {
      write: (text) => {
        stderr += text;
      },
      isTTY: tty,
    },
    stdin: { isTTY: tty, readAll: async () => options.stdin ?? '' },
    homeDir: options.home ?? '/nonexistent-home-for-tests',
    platform: options.platform ?? 'linux',
    prompt: options.prompt ?? (async () => ''),
    sleep: options.sleep ?? (async () => {}),
    now: options.now ?? (() => Date.now()),
    openBrowser: options.openBrowser ?? (() => {}),
    loadKeyring: async () => (options.keyring === undefined ? absentKeyring : options.keyring),
    interrupt: options.interrupt ?? new AbortController().signal,
    stdoutText: () => stdout,
    stderrText: () => stderr,
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `pylon <argv>` in-process. */
export async function run(argv: string[], options: TestEnvironmentOptions = {}): Promise<RunResult> {
  const environment = testEnvironment(options);
  const code = await runCLI(argv, environment);
  return { code, stdout: environment.stdoutText(), stderr: environment.stderrText() };
}
