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
 * posts from `origin` (the server's own unless a test says otherwise). Redirects are not followed —
 * a test reads the 303 and its location — except a form's to its outcome page (`/shown/{id}`),
 * which is the post/redirect/get a browser completes. A second call is a second browser.
 */
export function pageBrowser(t: TestServer) {
  const jar = new CookieJar();
  let last = '';
  const send = async (path: string, init: RequestInit = {}) => {
    last = path;
    const response = await t.request(path, jar.apply(init));
    jar.store(response);
    return response;
  };
  return {
    jar,
    /** The path of the last request: after a form, the outcome page's. */
    lastURL: () => last,
    get: (path: string) => send(path, { headers: { accept: 'text/html' } }),
    post: async (path: string, form: Record<string, string>, origin = PAGE_ORIGIN) => {
      const answer = await send(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin },
        body: new URLSearchParams(form).toString(),
      });
      // A form that did something answers with its outcome page by a redirect (post/redirect/get):
      // followed, as a browser does, so the test reads the page the person sees.
      const to = answer.status === 303 ? answer.headers.get('location') : null;
      return to !== null && /\/shown\/[\w-]+$/.test(to)
        ? send(to, { headers: { accept: 'text/html' } })
        : answer;
    },
  };
}

export type PageBrowser = ReturnType<typeof pageBrowser>;

/**
 * A form post's answer as the browser ends up seeing it: the outcome page its redirect leads to
 * (`/shown/{id}`, fetched with the same cookies), or the answer itself.
 */
export async function followShown(t: TestServer, answer: Response, cookie: string): Promise<Response> {
  const to = answer.status === 303 ? answer.headers.get('location') : null;
  return to !== null && /\/shown\/[\w-]+$/.test(to) ? t.request(to, { headers: { cookie } }) : answer;
}

/** `email` signs in on the hosted sign-in page with the code it was emailed, in a new browser. */
export async function signedInBrowser(t: TestServer, email: string): Promise<PageBrowser> {
  const b = pageBrowser(t);
  await b.post('/login/code', { email });
  const code = /\n\s+(\d{6})\n/.exec(t.mail.at(-1)!.text)![1]!;
  const done = await b.post('/login/verify', { email, code, return_to: '/account' });
  expect(done.status).toBe(303);
  return b;
}
