import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

/**
 * A minimal OpenID provider on loopback whose token endpoint answers whatever id_token the test
 * wrote: signed by its published key, by another key, with `alg: none`, or HS256 with the client
 * secret. It advertises `none` and HS256 in its metadata, so a refusal is Pylon's, not the
 * metadata's. Used for the attacks a conforming IdP (oidc-provider) would never produce.
 */
export interface ForgingIdP {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The id_token the next token request receives. */
  nextIdToken: string;
  /** Fields added to (or replacing) the discovery document's; `{}` for the plain one. */
  discoveryExtra: Record<string, unknown>;
  /** When set, the discovery document is streamed (no Content-Length) and never ends. */
  endlessDiscovery: boolean;
  /** Claims of a well-formed id_token for this client. */
  claims(extra: JWTPayload & { nonce: string; sub: string }): JWTPayload;
  signWithPublishedKey(claims: JWTPayload): Promise<string>;
  signWithOtherKey(claims: JWTPayload): Promise<string>;
  signHS256WithClientSecret(claims: JWTPayload): Promise<string>;
  unsigned(claims: JWTPayload): string;
  close(): Promise<void>;
}

const KID = 'published-key';

export async function startForgingIdP(): Promise<ForgingIdP> {
  const published = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(published.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'forging-client';
  const clientSecret = 'forging-client-secret-0123456789abcdef';
  const idp: ForgingIdP = {
    issuer,
    clientId,
    clientSecret,
    nextIdToken: '',
    discoveryExtra: {},
    endlessDiscovery: false,
    claims: (extra) => {
      const now = Math.floor(Date.now() / 1000);
      return { iss: issuer, aud: clientId, iat: now, exp: now + 300, ...extra };
    },
    signWithPublishedKey: (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: KID }).sign(published.privateKey),
    // Same kid as the published key: only the signature tells them apart.
    signWithOtherKey: (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: KID }).sign(other.privateKey),
    signHS256WithClientSecret: (claims) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(clientSecret)),
    unsigned: (claims) =>
      `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('request', (request, response) => {
    const send = (body: unknown) => {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify(body));
    };
    const path = new URL(request.url ?? '/', issuer).pathname;
    // Served under any path, always naming the root as issuer: a discovery at
    // `<issuer>/tenant` then finds a document for another issuer.
    if (path.endsWith('/.well-known/openid-configuration') && idp.endlessDiscovery) {
      // Chunked, so only reading it with a cap can refuse it: it never ends on its own.
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write(`{"issuer":"${issuer}","padding":"`);
      const pad = 'x'.repeat(16 * 1024);
      const more = (): void => {
        while (!response.destroyed) {
          if (!response.write(pad)) {
            response.once('drain', more);
            return;
          }
        }
      };
      more();
    } else if (path.endsWith('/.well-known/openid-configuration')) {
      send({
        issuer,
        authorization_endpoint: `${issuer}/auth`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256', 'HS256', 'none'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        ...idp.discoveryExtra,
      });
    } else if (path === '/jwks') {
      send({ keys: [jwk] });
    } else if (path === '/token' && request.method === 'POST') {
      request.resume();
      request.on('end', () =>
        send({ access_token: 'forging-access-token', token_type: 'Bearer', id_token: idp.nextIdToken }),
      );
    } else {
      response.writeHead(404).end();
    }
  });
  return idp;
}
