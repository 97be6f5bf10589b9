import type { TestServer } from '../../../server/test/support/server.js';

/**
 * Signs `email` in with an emailed code (the server answers it as `dev_code` in development) and
 * returns the session token. The clock moves past the resend cooldown first, so the same address
 * can sign in again.
 */
export async function signInByCode(t: TestServer, email: string): Promise<string> {
  t.clock.advance(61_000);
  const call = (path: string, body: unknown) =>
    t.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const sent = (await (await call('/api/auth/magic/send', { email })).json()) as { dev_code: string };
  const verified = (await (await call('/api/auth/magic/verify', { email, code: sent.dev_code })).json()) as {
    token: string;
  };
  return verified.token;
}
