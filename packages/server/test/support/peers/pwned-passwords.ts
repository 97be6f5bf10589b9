import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestPwnedPasswords {
  url: string;
  /** Every request as it arrived: method, path and query, headers, body. */
  requests: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }>;
  /** From now on answer every range with this status (a 503 outage) instead of the list. */
  failWith(status: number | null): void;
  close(): Promise<void>;
}

const sha1 = (text: string) => createHash('sha1').update(text, 'utf8').digest('hex').toUpperCase();

/**
 * A loopback stand-in for the Pwned Passwords range API
 * (https://haveibeenpwned.com/API/v3#SearchingPwnedPasswordsByRange): `GET /range/{5 hex}` lists
 * the breached suffixes in that range as `SUFFIX:COUNT`, and with `Add-Padding: true` also the
 * `padded` ones with a count of 0, as the real service pads its answers.
 */
export async function startTestPwnedPasswords(input: {
  breached: readonly string[];
  padded?: readonly string[];
}): Promise<TestPwnedPasswords> {
  const requests: TestPwnedPasswords['requests'] = [];
  let failure: number | null = null;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const prefix = /^\/range\/([0-9A-F]{5})$/.exec(request.url ?? '')?.[1];
      if (failure !== null || request.method !== 'GET' || prefix === undefined) {
        response.writeHead(failure ?? 400).end();
        return;
      }
      const lines = [
        ...input.breached.map((password) => `${sha1(password)}:42`),
        ...(request.headers['add-padding'] === 'true' ? (input.padded ?? []).map((p) => `${sha1(p)}:0`) : []),
      ]
        .filter((hash) => hash.startsWith(prefix))
        .map((hash) => hash.slice(5));
      response.writeHead(200, { 'content-type': 'text/plain' }).end(lines.join('\r\n'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failWith: (status) => {
      failure = status;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
