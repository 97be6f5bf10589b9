// Peer: panva/oidc-provider's `client_credentials` grant at `POST /token`, issuing JWT access
// tokens (RFC 9068) signed with Ed25519, as Pylon's are, for one resource server. Tokens in JWT
// format are not stored, so its in-memory adapter holds nothing per request.
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-client-secret-0123456789abcdef';
const RESOURCE = 'urn:pylon-bench:api';

const { privateKey } = generateKeyPairSync('ed25519');
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg: 'EdDSA', use: 'sig' };

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const provider = new Provider(`http://127.0.0.1:${port}`, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        scope: 'api:read',
        id_token_signed_response_alg: 'EdDSA',
      },
    ],
    jwks: { keys: [signingKey] },
    scopes: ['api:read'],
    ttl: { ClientCredentials: 30 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api:read',
          audience: RESOURCE,
          accessTokenTTL: 30,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'EdDSA' } },
        }),
      },
    },
  });
  server.on('request', provider.callback());
  process.send?.({ port, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
