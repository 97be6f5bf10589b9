import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type BrowserTarget, describeInChromium, SHOTS, startBrowserTarget } from './support.js';

type Answer = { status: number; body: Record<string, unknown> & { error?: { code: string } } };

// The ceremonies as a page would run them: JSON options from our API turned into the
// ArrayBuffers navigator.credentials wants, and the authenticator's answer turned back into the
// JSON of PublicKeyCredential.toJSON() (WebAuthn L3 §5.1.8), base64url throughout. Each runs
// inside the page, so the browser (not this process) sends the Origin, the cookies, and signs
// clientDataJSON with the origin it is really on.

/** Registers a passkey for the page's signed-in session; the answer of /register/verify. */
function registerInPage(name: string): Promise<Answer> {
  const encode = (buffer: ArrayBuffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  const decode = (text: string) =>
    Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const post = async (path: string, body: unknown): Promise<Answer> => {
    const response = await fetch(`/api/auth${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  return (async () => {
    const started = await post('/passkeys/register/options', {});
    if (started.status !== 200) return started;
    const options = started.body.options as {
      challenge: string;
      user: { id: string; name: string; displayName: string };
      excludeCredentials?: Array<{ id: string; type: 'public-key'; transports?: string[] }>;
    } & Record<string, unknown>;
    const made = (await navigator.credentials.create({
      publicKey: {
        ...(options as unknown as PublicKeyCredentialCreationOptions),
        challenge: decode(options.challenge),
        user: { ...options.user, id: decode(options.user.id) },
        excludeCredentials: (options.excludeCredentials ?? []).map((c) => ({
          ...c,
          id: decode(c.id),
          transports: c.transports as AuthenticatorTransport[],
        })),
      },
    })) as PublicKeyCredential;
    const response = made.response as AuthenticatorAttestationResponse;
    return post('/passkeys/register/verify', {
      name,
      credential: {
        id: made.id,
        rawId: encode(made.rawId),
        type: made.type,
        response: {
          clientDataJSON: encode(response.clientDataJSON),
          attestationObject: encode(response.attestationObject),
          transports: response.getTransports(),
        },
        authenticatorAttachment: made.authenticatorAttachment ?? undefined,
        clientExtensionResults: made.getClientExtensionResults(),
      },
    });
  })();
}

/** Asks for sign-in options without an email (discoverable) and gets an assertion for them. */
function assertInPage(): Promise<Answer | { credential: unknown }> {
  const encode = (buffer: ArrayBuffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  const decode = (text: string) =>
    Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  return (async () => {
    const started = await fetch('/api/auth/passkeys/login/options', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const body = await started.json();
    if (started.status !== 200) return { status: started.status, body };
    const options = body.options as { challenge: string; allowCredentials?: unknown[] } & Record<
      string,
      unknown
    >;
    const got = (await navigator.credentials.get({
      publicKey: {
        ...(options as unknown as PublicKeyCredentialRequestOptions),
        challenge: decode(options.challenge),
      },
    })) as PublicKeyCredential;
    const response = got.response as AuthenticatorAssertionResponse;
    return {
      credential: {
        id: got.id,
        rawId: encode(got.rawId),
        type: got.type,
        response: {
          clientDataJSON: encode(response.clientDataJSON),
          authenticatorData: encode(response.authenticatorData),
          signature: encode(response.signature),
          ...(response.userHandle ? { userHandle: encode(response.userHandle) } : {}),
        },
        authenticatorAttachment: got.authenticatorAttachment ?? undefined,
        clientExtensionResults: got.getClientExtensionResults(),
      },
    };
  })();
}

/**
 * The ceremonies the way docs/API.md tells an app to run them: the options through
 * PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON and the answer
 * through toJSON() (WebAuthn L3 §5.1.8–§5.1.10), nothing converted by hand.
 */
function registerAndAssertByJSON(): Promise<{ registered: Answer; signedIn: Answer }> {
  const post = async (path: string, body: unknown): Promise<Answer> => {
    const response = await fetch(`/api/auth${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  };
  return (async () => {
    const creation = await post('/passkeys/register/options', {});
    const made = (await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(
        creation.body.options as unknown as PublicKeyCredentialCreationOptionsJSON,
      ),
    })) as PublicKeyCredential;
    const registered = await post('/passkeys/register/verify', { credential: made.toJSON() });
    const request = await post('/passkeys/login/options', {});
    const got = (await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(
        request.body.options as unknown as PublicKeyCredentialRequestOptionsJSON,
      ),
    })) as PublicKeyCredential;
    const signedIn = await post('/passkeys/login/verify', { credential: got.toJSON() });
    return { registered, signedIn };
  })();
}

/** A same-origin JSON call from the page, with its cookies. */
function callInPage([method, path, body]: [string, string, unknown?]): Promise<Answer> {
  return (async () => {
    const response = await fetch(`/api/auth${path}`, {
      method,
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  })();
}

// Passkeys in a real Chromium: the authenticator is the browser's own CDP virtual authenticator
// (a platform one, with resident keys and user verification, as a laptop's), so clientDataJSON,
// the attestation and the assertions are made by Chromium's WebAuthn stack for the origin the page
// is on. The relying party is PYLON_PUBLIC_URL's host: `localhost`, since Chromium refuses an IP
// address as an RP ID, and http://localhost is a secure context.
describeInChromium('passkeys in Chromium', () => {
  let target: BrowserTarget;
  let browser: Browser;
  let url: string;

  const shot = async (page: Page, name: string) => {
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/passkeys-${name}.png`, fullPage: true });
  };
  const call = (page: Page, method: string, path: string, body?: unknown) =>
    page.evaluate(callInPage, [method, path, body] as [string, string, unknown?]);
  const flowCookie = async (context: BrowserContext) =>
    (await context.cookies(url)).find((cookie) => cookie.name.endsWith('pylon_passkey_flow'));
  /** A fresh browser on /login with a platform authenticator, resident keys and user verification. */
  const withAuthenticator = async () => {
    // Pylon's own pages run no script and allow no fetch (CSP default-src 'none'); the ceremony
    // stands in for the app's page on this origin, so the page's CSP is set aside for it.
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${url}/login`);
    const cdp: CDPSession = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
      },
    });
    return { context, page, cdp, authenticatorId };
  };
  /** Signs the page's browser in with an emailed code (the code comes back in development). */
  const signInByCode = async (page: Page, email: string) => {
    const sent = await call(page, 'POST', '/magic/send', { email });
    expect(sent.status).toBe(200);
    const verified = await call(page, 'POST', '/magic/verify', { email, code: sent.body.dev_code });
    expect(verified.status).toBe(200);
    return verified.body.user_id as string;
  };

  beforeAll(async () => {
    target = await startBrowserTarget({
      host: 'localhost',
      // The server listens on IPv4 loopback only; `localhost` must not try ::1 first.
      args: ['--host-resolver-rules=MAP localhost 127.0.0.1'],
    });
    ({ url, browser } = target);
  }, 60_000);
  afterAll(() => target?.close());

  it('registers a passkey with the browser’s authenticator, signs in with it discoverably, and refuses the assertion replayed', async () => {
    const { context, page, cdp, authenticatorId } = await withAuthenticator();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => window.isSecureContext && typeof PublicKeyCredential)).toBe('function');

    // Signed out, there is nothing to register a passkey for.
    const anonymous = await page.evaluate(registerInPage, 'Nobody’s');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error?.code).toBe('UNAUTHORIZED');

    const email = 'passkey-browser@example.com';
    const userId = await signInByCode(page, email);

    const registered = await page.evaluate(registerInPage, 'This laptop');
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(registered.body).toMatchObject({
      id: expect.stringMatching(/^pkey_/),
      name: 'This laptop',
      transports: ['internal'],
      last_used_at: null,
    });
    const listed = await call(page, 'GET', '/passkeys');
    expect(listed.body).toEqual([expect.objectContaining({ id: registered.body.id, name: 'This laptop' })]);
    // The credential lives in the browser's authenticator, discoverable, its user handle our user id.
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
    expect(Buffer.from(credentials[0]!.userHandle!, 'base64').toString('utf8')).toBe(userId);
    // The same authenticator again is excluded by the options: the browser refuses to make a second.
    await expect(page.evaluate(registerInPage, 'Again')).rejects.toThrow(/InvalidStateError/);

    // Sign out, and no cookie left: the next sign-in is the passkey's alone.
    expect((await call(page, 'DELETE', '/session')).body).toEqual({ revoked: true });
    await context.clearCookies();
    expect((await call(page, 'GET', '/me')).body).toMatchObject({ userId: null });
    await page.goto(`${url}/login`);
    await shot(page, '1-login-signed-out');

    const asserted = await page.evaluate(assertInPage);
    expect('credential' in asserted, JSON.stringify(asserted)).toBe(true);
    const { credential } = asserted as { credential: { response: { userHandle?: string } } };
    expect(credential.response.userHandle).toBe(Buffer.from(userId).toString('base64url'));
    const binding = (await flowCookie(context))!;
    expect(binding).toBeDefined();
    const signedIn = await call(page, 'POST', '/passkeys/login/verify', { credential });
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(signedIn.body).toMatchObject({ user_id: userId, token: expect.any(String) });
    // The browser is signed in by its cookie alone.
    expect((await call(page, 'GET', '/me')).body).toMatchObject({
      userId,
      email,
      authMethod: 'session',
    });
    expect((await call(page, 'GET', '/passkeys')).body).toEqual([
      expect.objectContaining({ id: registered.body.id, last_used_at: expect.any(Number) }),
    ]);
    await page.goto(`${url}/api/auth/me`);
    await shot(page, '2-me-signed-in');

    // The same assertion again, from the same browser with the same flow cookie put back: its
    // challenge was used, so it is refused and signs nobody in.
    await context.clearCookies();
    await context.addCookies([binding]);
    const replayed = await call(page, 'POST', '/passkeys/login/verify', { credential });
    expect(replayed.status).toBe(400);
    expect(replayed.body.error?.code).toBe('PASSKEY_CHALLENGE_EXPIRED');
    expect((await call(page, 'GET', '/me')).body).toMatchObject({ userId: null });

    // A fresh assertion from the same authenticator still works: its counter rose.
    const again = (await page.evaluate(assertInPage)) as { credential: unknown };
    const second = await call(page, 'POST', '/passkeys/login/verify', { credential: again.credential });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.user_id).toBe(userId);
    await context.close();
  }, 60_000);

  it('runs with the browser’s own JSON helpers, as the API docs describe', async () => {
    const { context, page } = await withAuthenticator();
    const userId = await signInByCode(page, 'passkey-json@example.com');

    const { registered, signedIn } = await page.evaluate(registerAndAssertByJSON);
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(signedIn.body.user_id).toBe(userId);
    await context.close();
  }, 60_000);
});
