import type { KeyringPort } from './session/keyring.js';

/** Where a command writes: a stream and whether a person is watching it. */
export interface OutputStream {
  write(text: string): void;
  readonly isTTY: boolean;
}

/**
 * Everything a command touches outside its own logic. The binary builds it from the process
 * (node-environment.ts); tests build one in memory, so every command runs in-process.
 */
export interface CLIEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch: typeof globalThis.fetch;
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: {
    readonly isTTY: boolean;
    /** All of standard input as text (for `--app-token -`). */
    readAll(): Promise<string>;
  };
  /** The user's home directory: `~/.pylon/` lives here. */
  readonly homeDir: string;
  readonly platform: NodeJS.Platform;
  /** Ask a question on the terminal; only called when stdin and stderr are TTYs. */
  prompt(question: string): Promise<string>;
  /** Resolves after `ms`, or early when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  now(): number;
  /** Best effort: open a URL in the desktop's browser. */
  openBrowser(url: string): void;
  /** The OS keyring, or null when this platform has no keyring module. */
  loadKeyring(): Promise<KeyringPort | null>;
  /** Aborted on Ctrl-C: long waits (login polling, `audit tail --follow`) stop cleanly. */
  readonly interrupt: AbortSignal;
}
