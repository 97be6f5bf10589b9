import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** A person at the test IdP. */
export interface IdPAccount {
  email: string;
  email_verified: boolean;
  /** The `name` claim (profile scope), when the person has one. */
  name?: string;
}

export interface TestIdP {
  issuer: string;
  clientId: string;
  clientSecret: string;
  accounts: Map<string, IdPAccount>;
  /**
   * Play the person's browser from an authorization URL: sign in as `login` on the IdP's own
   * interaction pages, consent, and return the URL the IdP redirects back to (the callback).
   */
  authorize(authorizationURL: string, login: string, redirectPrefix: string): Promise<URL>;
  close(): Promise<void>;
}

/** A real OpenID Connect provider (panva/oidc-provider) on a loopback port, with one client. */
export async function startTestIdP(redirectURI: string): Promise<TestIdP> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, IdPAccount>();
  const clientId = 'pylon-test-client';
  const clientSecret = 'pylon-test-client-secret-0123456789abcdef';
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectURI] }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    cookies: { keys: ['test-idp-cookie-key-0123456789'] },
    // Explicit lifetimes (seconds): oidc-provider's defaults work but print a notice for each.
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AccessToken: 600,
      IdToken: 600,
      AuthorizationCode: 60,
    },
    findAccount: (_ctx, id) => {
      const account = accounts.get(id);
      return account ? { accountId: id, claims: () => ({ sub: id, ...account }) } : undefined;
    },
  });
  server.on('request', provider.callback());

  async function authorize(authorizationURL: string, login: string, redirectPrefix: string): Promise<URL> {
    const cookies = new Map<string, string>();
    const send = async (url: URL, init: RequestInit = {}) => {
      const response = await fetch(url, {
        ...init,
        redirect: 'manual',
        headers: {
          ...(init.headers as Record<string, string>),
          cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const index = pair!.indexOf('=');
        cookies.set(pair!.slice(0, index), pair!.slice(index + 1));
      }
      return response;
    };
    let url = new URL(authorizationURL);
    let response = await send(url);
    for (let step = 0; step < 12; step++) {
      const location = response.headers.get('location');
      if (location) {
        url = new URL(location, url);
        if (url.toString().startsWith(redirectPrefix)) return url;
        await response.body?.cancel();
        response = await send(url);
        continue;
      }
      const page = await response.text();
      const prompt = page.includes('name="login"') ? 'login' : 'consent';
      const form = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
      response = await send(url, {
        method: 'POST',
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    }
    throw new Error('the IdP never redirected back');
  }

  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    authorize,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
