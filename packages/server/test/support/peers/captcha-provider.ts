import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestCaptchaProvider {
  /** The siteverify endpoint's URL (PYLON_CAPTCHA_VERIFY_URL). */
  verifyURL: string;
  secret: string;
  /** The one token this provider accepts, as a solved widget would hand it over. */
  goodToken: string;
  /** Every verify request's form fields. */
  verifications: Array<Record<string, string>>;
  /** From now on answer every request with this status (an outage) instead of a verdict. */
  failWith(status: number | null): void;
  close(): Promise<void>;
}

/**
 * A loopback stand-in for the siteverify endpoint Turnstile, hCaptcha and reCAPTCHA share: a form
 * POST of `secret`, `response` and optional `remoteip`, answered `{"success": boolean}` with
 * `error-codes` on a refusal.
 */
export async function startTestCaptchaProvider(): Promise<TestCaptchaProvider> {
  const secret = 'captcha-test-secret-0123456789';
  const goodToken = 'solved-widget-token-0123456789';
  const verifications: Array<Record<string, string>> = [];
  let failure: number | null = null;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      if (failure !== null) {
        response.writeHead(failure).end('unavailable');
        return;
      }
      const form = Object.fromEntries(new URLSearchParams(body));
      verifications.push(form);
      const formEncoded = request.headers['content-type'] === 'application/x-www-form-urlencoded';
      const verdict =
        request.method !== 'POST' || !formEncoded || form.secret !== secret
          ? { success: false, 'error-codes': ['invalid-input-secret'] }
          : form.response === goodToken
            ? { success: true }
            : { success: false, 'error-codes': ['invalid-input-response'] };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(verdict));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    verifyURL: `http://127.0.0.1:${port}/siteverify`,
    secret,
    goodToken,
    verifications,
    failWith: (status) => {
      failure = status;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
