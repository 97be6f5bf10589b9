import { expect } from 'vitest';
import { CookieJar } from './cookie-jar.js';
import type { TestServer } from './server.js';

/** The test server's origin (its default PYLON_PUBLIC_URL), which a same-origin form post names. */
export const PAGE_ORIGIN = 'http://localhost:4000';

/** A page's visible text: tags (and so attributes, where form actions and hidden fields live) removed. */
export const visibleText = (page: string) => page.replace(/<[^>]*>/g, '').replace(/\s+/g, ' ');

/** The CSRF token a page put in its forms (`''` when it has none). */
export const csrfOf = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';

/**
 * One browser on the hosted pages, in process: its cookies (a jar of its own), HTML GETs, and form
 * posts from `origin` (the server's own unless a test says otherwise). Redirects are not followed:
 * a test reads the 303 and its location. A second call is a second browser.
 */
export function pageBrowser(t: TestServer) {
  const jar = new CookieJar();
  const send = async (path: string, init: RequestInit = {}) => {
    const response = await t.request(path, jar.apply(init));
    jar.store(response);
    return response;
  };
  return {
    jar,
    get: (path: string) => send(path, { headers: { accept: 'text/html' } }),
    post: (path: string, form: Record<string, string>, origin = PAGE_ORIGIN) =>
      send(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin },
        body: new URLSearchParams(form).toString(),
      }),
  };
}

export type PageBrowser = ReturnType<typeof pageBrowser>;

/** `email` signs in on the hosted sign-in page with the code it was emailed, in a new browser. */
export async function signedInBrowser(t: TestServer, email: string): Promise<PageBrowser> {
  const b = pageBrowser(t);
  await b.post('/login/code', { email });
  const code = /\n\s+(\d{6})\n/.exec(t.mail.at(-1)!.text)![1]!;
  const done = await b.post('/login/verify', { email, code, return_to: '/account' });
  expect(done.status).toBe(303);
  return b;
}
