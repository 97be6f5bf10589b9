import type { TestDatabase } from '../support/databases.js';
import { startTestGitHub, type TestGitHub } from '../support/peers/github-api.js';
import { startTestIdP, type TestIdP } from '../support/peers/oidc-idp.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** Where the test IdP sends the browser back to: the server's Google callback. */
export const GOOGLE_CALLBACK = 'http://localhost:4000/api/auth/callback/google';

export interface SocialServer {
  t: TestServer;
  /** Plays Google (an OpenID Provider). */
  idp: TestIdP;
  /** Plays GitHub's OAuth and REST API. */
  github: TestGitHub;
  close(): Promise<void>;
}

/** A server with Google and GitHub sign-in configured against local stand-ins for both. */
export async function startSocialServer(
  database: TestDatabase,
  env: Record<string, string>,
): Promise<SocialServer> {
  const idp = await startTestIdP(GOOGLE_CALLBACK);
  const github = await startTestGitHub();
  const t = await startTestServer(database, {
    env: {
      ...env,
      PYLON_GOOGLE_CLIENT_ID: idp.clientId,
      PYLON_GOOGLE_CLIENT_SECRET: idp.clientSecret,
      PYLON_GOOGLE_ISSUER: idp.issuer,
      PYLON_GITHUB_CLIENT_ID: github.clientId,
      PYLON_GITHUB_CLIENT_SECRET: github.clientSecret,
      PYLON_GITHUB_URL: github.url,
      PYLON_GITHUB_API_URL: github.url,
    },
  });
  // The IdP signs with real time; Pylon's clock must agree for exp/iat checks.
  t.clock.set(Date.now());
  return {
    t,
    idp,
    github,
    close: async () => {
      await t.close();
      await idp.close();
      await github.close();
    },
  };
}
