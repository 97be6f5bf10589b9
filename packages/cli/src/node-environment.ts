import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { createInterface } from 'node:readline/promises';
import type { CLIEnvironment } from './environment.js';
import { loadNativeKeyring } from './session/keyring.js';

/** The environment of the real process: what `bin/pylon.ts` runs with. */
export function nodeEnvironment(interrupt: AbortSignal): CLIEnvironment {
  return {
    env: process.env,
    fetch: globalThis.fetch,
    stdout: { write: (text) => void process.stdout.write(text), isTTY: process.stdout.isTTY === true },
    stderr: { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY === true },
    stdin: { isTTY: process.stdin.isTTY === true, readAll: readStdin },
    homeDir: homedir(),
    platform: process.platform,
    async prompt(question) {
      const readline = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await readline.question(question, { signal: interrupt });
      } finally {
        readline.close();
      }
    },
    sleep,
    now: () => Date.now(),
    openBrowser,
    loadKeyring: loadNativeKeyring,
    interrupt,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Hands the URL to the desktop's opener; the URL is one argument, never parsed by a shell. */
function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // The URL is printed; opening it is a convenience.
  }
}
