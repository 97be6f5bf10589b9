import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitHubUser {
  id: number;
  login: string;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
}

export interface TestGitHub {
  url: string;
  clientId: string;
  clientSecret: string;
  /** What the GitHub authorize page would do after the person approves: a code for this user. */
  approve(user: GitHubUser, authorizationURL: string): string;
  close(): Promise<void>;
}

/**
 * A loopback stand-in for GitHub's OAuth app endpoints as GitHub documents them: the token
 * endpoint (client_secret_basic, PKCE S256, `Accept: application/json`), `GET /user` and
 * `GET /user/emails` with a bearer token. It checks what a real GitHub would check.
 */
export async function startTestGitHub(): Promise<TestGitHub> {
  const clientId = 'Iv1.testclient';
  const clientSecret = 'github-test-secret-0123456789';
  const codes = new Map<string, { user: GitHubUser; challenge: string; redirectURI: string }>();
  const tokens = new Map<string, GitHubUser>();

  const body = (request: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = '';
      request.on('data', (chunk) => {
        text += chunk;
      });
      request.on('end', () => resolve(text));
    });
  const json = (response: ServerResponse, status: number, value: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(value));
  };

  const server: Server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (request.method === 'POST' && path === '/login/oauth/access_token') {
      const form = new URLSearchParams(await body(request));
      const basic = Buffer.from(
        (request.headers.authorization ?? '').replace(/^Basic /, ''),
        'base64',
      ).toString();
      const grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      // GitHub answers 200 with an error body for a bad code.
      if (
        basic !== `${clientId}:${clientSecret}` ||
        !grant ||
        grant.challenge !== challenge ||
        grant.redirectURI !== form.get('redirect_uri')
      ) {
        return json(response, 200, { error: 'bad_verification_code' });
      }
      const token = `gho_${randomBytes(16).toString('hex')}`;
      tokens.set(token, grant.user);
      return json(response, 200, {
        access_token: token,
        token_type: 'bearer',
        scope: 'read:user,user:email',
      });
    }
    const user = tokens.get((request.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (!user || request.headers['user-agent'] === undefined)
      return json(response, 401, { message: 'Bad credentials' });
    if (request.method === 'GET' && path === '/user')
      return json(response, 200, { id: user.id, login: user.login });
    if (request.method === 'GET' && path === '/user/emails') return json(response, 200, user.emails);
    return json(response, 404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    clientId,
    clientSecret,
    approve(user, authorizationURL) {
      const params = new URL(authorizationURL).searchParams;
      if (params.get('client_id') !== clientId || params.get('code_challenge_method') !== 'S256') {
        throw new Error('not a valid GitHub authorization request');
      }
      const code = randomBytes(10).toString('hex');
      codes.set(code, {
        user,
        challenge: params.get('code_challenge')!,
        redirectURI: params.get('redirect_uri')!,
      });
      return code;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
