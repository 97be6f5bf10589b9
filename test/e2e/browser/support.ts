import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { describe } from 'vitest';
import { testDatabases } from '../../../packages/server/test/support/databases.js';
import { listenAhead } from '../../../packages/server/test/support/listen-ahead.js';
import { startTestServer, type TestServer } from '../../../packages/server/test/support/server.js';

/** Debian's Chromium, never a downloaded one. */
export const CHROMIUM = '/usr/bin/chromium';
/** Where the screenshots go, to look at by hand (`PYLON_SCREENSHOTS=/tmp/shots`). */
export const SHOTS = process.env.PYLON_SCREENSHOTS;

/**
 * A suite that needs Chromium: skipped where it is not installed, except in CI, which installs it
 * (.ci/run), so there a missing browser fails instead of skipping.
 */
export function describeInChromium(name: string, suite: () => void): void {
  describe.skipIf(!existsSync(CHROMIUM) && process.env.CI !== 'true')(name, suite);
}

export interface BrowserTarget {
  t: TestServer;
  /** The server's origin, also its PYLON_PUBLIC_URL. */
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

export interface BrowserTargetOptions {
  /**
   * The host name in the URL (the server listens on 127.0.0.1 either way). `localhost` where the
   * origin must not be an IP address, e.g. as a WebAuthn RP ID.
   */
  host?: '127.0.0.1' | 'localhost';
  /** Chromium flags beyond the standard headless ones. */
  args?: string[];
  /** Server variables beyond the public URL (e.g. `PYLON_ADMIN_TOKEN`). */
  env?: Record<string, string>;
}

/**
 * A test server on a free loopback port with its public URL, and a Chromium to drive it. The
 * server's clock is set to real time: the browser, its cookies and any peer (an IdP signing
 * id_tokens) live in real time, so the sessions and states the server mints must too.
 */
export async function startBrowserTarget(options: BrowserTargetOptions = {}): Promise<BrowserTarget> {
  // The port is held from the start: the server's public URL names it before the server exists.
  const listening = await listenAhead();
  const url = `http://${options.host ?? '127.0.0.1'}:${listening.port}`;
  const t = await startTestServer(testDatabases[0]!, {
    env: { ...options.env, PYLON_PUBLIC_URL: url },
  }).catch(async (error: unknown) => {
    await listening.close(1000);
    throw error;
  });
  try {
    t.clock.set(Date.now());
    listening.serve(t.server.fetch, t.server.direct);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        ...(options.args ?? []),
      ],
    });
    return {
      t,
      url,
      browser,
      close: async () => {
        await browser.close();
        await listening.close(1000);
        await t.close();
      },
    };
  } catch (error) {
    await listening.close(1000);
    await t.close();
    throw error;
  }
}

/**
 * Signs the page in on the hosted /login form it is on, with the code the server emailed (read
 * from the test server's recorded mail). Leaves the page wherever the sign-in sends it.
 */
export async function signInWithEmailedCode(page: Page, t: TestServer, email: string): Promise<void> {
  await page.getByLabel('Email').first().fill(email);
  await page.getByRole('button', { name: 'Email me a code' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  const code = /\n\s+(\d{6})\n/.exec(t.mail.at(-1)!.text)![1]!;
  await page.getByLabel('Code').fill(code);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
