import { mkdirSync } from 'node:fs';
import { prepareSchema } from '@pylon/core';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestServer } from '../../../packages/server/test/support/server.js';
import {
  type BrowserTarget,
  describeInChromium,
  signInWithEmailedCode,
  startBrowserTarget,
} from './support.js';

/** Screenshots of every console page, at a desktop and a phone size, and dark (git-ignored). */
const SHOT_DIR = new URL('../../../test-results/console/', import.meta.url).pathname;
const SIZES = [
  { name: 'desktop', width: 1280, height: 900 },
  // The narrowest phone in wide use: tables reflow to one column there, nothing scrolls sideways.
  { name: 'phone', width: 375, height: 812 },
] as const;

const ADMIN = 'console-admin@example.com';
const MEMBER = 'console-member@example.com';

const SCHEMA_V1 = `version_tag: "1.0.0"
capabilities:
  - name: note.read
  - name: note.write
  - name: note.delete
archetypes:
  - name: editor
    capabilities: [note.read, note.write, note.delete]
  - name: reader
    capabilities: [note.read]
`;
/** Drops `note.delete` and the `reader` archetype: destructive, so it waits for approval. */
const SCHEMA_V2 = `version_tag: "2.0.0"
capabilities:
  - name: note.read
  - name: note.write
archetypes:
  - name: editor
    capabilities: [note.read, note.write]
`;

// The whole story of the admin console, in Chromium with scripts on: a new admin signs in, creates
// an org, invites a member who accepts in a second browser, registers an app, grants a role and
// sees the member's scoped token change, approves a destructive schema push, and watches each step
// arrive in the audit log's live tail. No page may report a CSP violation.
describeInChromium('the admin console in Chromium', () => {
  let target: BrowserTarget;
  let t: TestServer;
  let url: string;
  const violations: string[] = [];
  /** What Chromium reported as an error on a page's console (an invalid form pattern, a script error). */
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOT_DIR, { recursive: true });
    target = await startBrowserTarget();
    ({ t, url } = target);
  }, 60_000);
  afterAll(() => target?.close());

  /** A browser context that records every CSP violation any of its pages reports. */
  async function watchedContext(): Promise<BrowserContext> {
    const context = await target.browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.exposeBinding('__reportCSP', (_source, text: string) => {
      violations.push(text);
    });
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        (window as unknown as { __reportCSP(text: string): void }).__reportCSP(
          `${event.violatedDirective} ${event.blockedURI} on ${document.location.pathname}`,
        );
      });
    });
    context.on('page', (page) => {
      page.on('console', (message) => {
        // A page answered with an error status is logged too; the statuses are checked where expected.
        if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
          consoleErrors.push(`${message.text()} on ${page.url()}`);
      });
      page.on('pageerror', (error) => consoleErrors.push(`${error.message} on ${page.url()}`));
    });
    return context;
  }

  async function shoot(page: Page, name: string): Promise<void> {
    for (const size of SIZES) {
      await page.setViewportSize({ width: size.width, height: size.height });
      await page.screenshot({ path: `${SHOT_DIR}${name}-${size.name}.png`, fullPage: true });
      // Every table's columns fit the page: on a phone each row is a card, each cell under its
      // column's name, so no column (an action, a state) is cut off out of sight.
      const clipped = await page.evaluate(
        () =>
          Array.from(document.querySelectorAll('.table')).filter(
            (table) => table.scrollWidth > table.clientWidth + 1,
          ).length,
      );
      expect(clipped, `${name} at ${size.name}`).toBe(0);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: `${SHOT_DIR}${name}-desktop-dark.png`, fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
  }

  /** The member's scoped-token capabilities for the app, asked with their session as an app would. */
  async function memberCapabilities(member: BrowserContext, org: string): Promise<string[]> {
    const session = (await member.cookies(url)).find((cookie) => cookie.name === 'pylon_session')!.value;
    const response = await fetch(`${url}/o/${org}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session}` },
      body: JSON.stringify({ app_id: 'notes' }),
    });
    expect(response.status).toBe(200);
    const { scoped_token: token } = (await response.json()) as { scoped_token: string };
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
      caps: string[];
    };
    return claims.caps;
  }

  async function pushSchema(org: string, appToken: string, source: string) {
    const response = await fetch(`${url}/o/${org}/apps/notes/schema`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pylon-app-token': appToken },
      body: prepareSchema(source, 'notes', { cliVersion: '0.0.0-test' }),
    });
    return (await response.json()) as { status: string; version: number };
  }

  it('runs the story from sign-in to an approved schema, with the audit tail live throughout', async () => {
    const adminContext = await watchedContext();
    const admin = await adminContext.newPage();

    // Signed out, the console says so and links to the sign-in page, which comes back.
    const signedOut = await admin.goto(`${url}/console`);
    expect(signedOut?.status()).toBe(401);
    await admin.getByRole('link', { name: 'Sign in' }).click();
    await signInWithEmailedCode(admin, t, ADMIN);
    await admin.getByRole('heading', { name: 'Organisations', level: 1 }).waitFor();
    expect(new URL(admin.url()).pathname).toBe('/console');
    await shoot(admin, '01-organisations');

    await admin.getByLabel('Name').fill('Acme Notes');
    await admin.getByLabel('Id (optional slug)').fill('acme');
    await admin.getByRole('button', { name: 'Create organisation' }).click();
    await admin.getByRole('heading', { name: 'Acme Notes: members', level: 1 }).waitFor();
    await shoot(admin, '02-members');

    // The audit log, open in a tab of its own from here on: each later step must appear in it live.
    const audit = await adminContext.newPage();
    await audit.goto(`${url}/console/orgs/acme/audit`);
    await audit.getByText('Live: new entries appear as they happen.').waitFor();
    const seenLive = async (action: string) =>
      audit.locator('#audit-rows tr.live-entry', { hasText: action }).first().waitFor();

    // Invite the member; they accept in a browser of their own.
    await admin.getByLabel('Email').fill(MEMBER);
    await admin.getByRole('button', { name: 'Send invite' }).click();
    await admin.getByText(`Invited ${MEMBER} as member.`).waitFor();
    const link = await admin.locator('#invite-link').getAttribute('href');
    expect(link).toMatch(new RegExp(`^${url}/invite/`));
    // The long link wraps inside the notice on a phone instead of widening the page.
    await admin.setViewportSize({ width: 390, height: 844 });
    expect(
      await admin.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    await admin.setViewportSize({ width: 1280, height: 900 });
    await seenLive('org.invite_sent');

    const memberContext = await watchedContext();
    const member = await memberContext.newPage();
    await member.goto(link!);
    await member.getByRole('button', { name: 'Sign in to accept' }).click();
    await signInWithEmailedCode(member, t, MEMBER);
    await member.getByRole('button', { name: 'Accept invite' }).click();
    await member.getByRole('heading', { name: 'You joined Acme Notes' }).waitFor();
    await seenLive('org.invite_accepted');
    await admin.goto(`${url}/console/orgs/acme`);
    await admin.getByLabel('Members').getByRole('cell', { name: MEMBER, exact: true }).waitFor();
    expect(await admin.getByLabel('Invites').textContent()).toContain('No pending invites.');

    // Register the app: its token is shown once.
    await admin.getByRole('link', { name: 'Apps and grants' }).click();
    await admin.getByRole('heading', { name: 'Acme Notes: apps and grants', level: 1 }).waitFor();
    await admin.getByLabel('App id (a slug)').fill('notes');
    await admin.getByLabel('Owner').fill(ADMIN);
    await admin.getByRole('button', { name: 'Register app' }).click();
    const appToken = (await admin.locator('#app-token').textContent())!;
    expect(appToken.length).toBeGreaterThan(20);
    await seenLive('app.registered');
    expect(await pushSchema('acme', appToken, SCHEMA_V1)).toMatchObject({ status: 'accepted', version: 1 });
    await seenLive('schema.pushed');

    // Before the grant the member's token carries nothing in the app; after it, the editor's set.
    expect(await memberCapabilities(memberContext, 'acme')).toEqual([]);
    await admin.getByLabel('Email').fill(MEMBER);
    await admin.getByLabel('App', { exact: true }).selectOption('notes');
    await admin.getByLabel('Archetype').fill('editor');
    await admin.getByRole('button', { name: 'Grant', exact: true }).click();
    await admin.getByText(`Granted editor in notes to ${MEMBER}.`).waitFor();
    await admin.getByLabel('Who holds what').getByRole('cell', { name: MEMBER, exact: true }).waitFor();
    await seenLive('role.granted');
    await shoot(admin, '03-apps-and-grants');
    expect(await memberCapabilities(memberContext, 'acme')).toEqual([
      'notes:note.delete',
      'notes:note.read',
      'notes:note.write',
    ]);

    // A destructive push waits; the console shows both versions side by side and approves it.
    expect(await pushSchema('acme', appToken, SCHEMA_V2)).toMatchObject({
      status: 'pending_approval',
      version: 2,
    });
    await seenLive('schema.pushed');
    await admin.getByRole('link', { name: 'notes' }).click();
    await admin.getByRole('heading', { name: 'Pending version 2: destructive changes' }).waitFor();
    expect(await admin.locator('.diff .removed').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('reader'), 'notes:note.delete (removed)']),
    );
    await shoot(admin, '04-schema-pending');
    // A destructive action asks first: dismissed, nothing is sent; accepted, it is done.
    const asked: string[] = [];
    const answerDialogs = (accept: boolean) => {
      admin.removeAllListeners('dialog');
      admin.on('dialog', (dialog) => {
        asked.push(dialog.message());
        void (accept ? dialog.accept() : dialog.dismiss());
      });
    };
    answerDialogs(false);
    await admin.getByRole('button', { name: 'Approve version 2' }).click();
    await expect.poll(() => asked.length).toBe(1);
    expect(asked[0]).toContain('Approve version 2?');
    await admin.getByRole('heading', { name: 'Pending version 2: destructive changes' }).waitFor();
    answerDialogs(true);
    await admin.getByRole('button', { name: 'Approve version 2' }).click();
    await admin.getByText('Approved version 2').waitFor();
    expect(asked).toHaveLength(2);
    await seenLive('schema.approved');
    expect(await memberCapabilities(memberContext, 'acme')).toEqual(['notes:note.read', 'notes:note.write']);
    await shoot(audit, '05-audit-live');

    // The SSO settings, with what to give the identity provider.
    await admin.getByRole('link', { name: 'Single sign-on' }).click();
    expect(await admin.getByLabel('Entity ID and metadata URL').inputValue()).toBe(
      `${url}/api/auth/orgs/acme/saml/metadata`,
    );
    // Every setting of the SSO API has its field; a new connection's role is the API's default.
    expect(await admin.locator('#saml-role').inputValue()).toBe('member');
    await admin.getByLabel('Display-name attribute (optional)').waitFor();
    await shoot(admin, '07-sso');

    // Paging and filters work without the script.
    await audit.goto(`${url}/console/orgs/acme/audit?action=role.granted`);
    expect(await audit.locator('#audit-rows tr').count()).toBe(1);
    await shoot(audit, '06-audit-filtered');

    // In development the first verified sign-in may claim the deployment; then its page opens.
    await admin.goto(`${url}/bootstrap`);
    await admin.getByRole('button', { name: 'Claim admin' }).click();
    await admin.goto(`${url}/console/deployment`);
    await admin.getByRole('cell', { name: MEMBER, exact: true }).waitFor();
    await admin.getByRole('button', { name: 'Rotate signing key' }).click();
    await admin.getByText(/Published key \S+; it signs from/).waitFor();
    expect(asked.at(-1)).toContain('Rotate the signing key?');
    await shoot(admin, '08-deployment');

    expect(violations).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await memberContext.close();
    await adminContext.close();
  }, 120_000);
});
