import { OAuthDeviceAuthorizationRequest } from '@pylon/core/wire';
import type { AppContext } from '../../http/context.js';
import { requestAPIURL } from '../../http/org-hosts.js';
import { defineRoute } from '../../http/route-table.js';
import type { Identity } from '../identity/identity.js';
import { clientIP, requestFacts } from '../identity/route-helpers.js';
import type { TokenGrant } from '../oauth-server/token-grant.js';
import { mintDeviceSession } from './device-session.js';
import { DEVICE_TTL_SECONDS, type DeviceStore, POLL_INTERVAL_SECONDS } from './device-store.js';
import { displayUserCode } from './user-code.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** RFC 6749 §5.2 error body (these endpoints speak OAuth, not Pylon's error shape). */
function oauthError(c: AppContext, error: string, description: string, status = 400): Response {
  c.header('Cache-Control', 'no-store');
  return c.json({ error, error_description: description }, status as 400);
}

/**
 * RFC 8628 over the same device store as pylon-cli's routes, so any OAuth device-flow client can
 * sign in: the device authorisation endpoint here, and the device grant of the token endpoint
 * (`deviceTokenGrant`, registered with the authorization server, which owns `/oauth/token` and
 * the RFC 8414 metadata).
 */
export function oauthDeviceRoutes(identity: Identity, devices: DeviceStore) {
  const { services } = identity;
  const issuer = (c: AppContext) => requestAPIURL(c, services.config);
  return [
    defineRoute({
      method: 'post',
      path: '/oauth/device_authorization',
      summary: 'RFC 8628 §3.1 device authorisation request',
      tags: ['device'],
      body: OAuthDeviceAuthorizationRequest,
      acceptsForm: true,
      errorShape: 'oauth',
      responses: { 200: { description: 'RFC 8628 §3.2 response' }, 400: { description: 'invalid_request' } },
      handler: async (c, { body }) => {
        if (!body.client_id) return oauthError(c, 'invalid_request', 'client_id is required');
        const { deviceCode, userCode } = await devices.create({
          client: body.client_id,
          orgId: c.get('orgId'),
          now: services.clock.now(),
          requestedIP: clientIP(c, services),
        });
        const shown = displayUserCode(userCode);
        c.header('Cache-Control', 'no-store');
        return c.json({
          device_code: deviceCode,
          user_code: shown,
          verification_uri: `${issuer(c)}/device`,
          verification_uri_complete: `${issuer(c)}/device?user_code=${shown}`,
          expires_in: DEVICE_TTL_SECONDS,
          interval: POLL_INTERVAL_SECONDS,
        });
      },
    }),
  ];
}

/** RFC 8628 §3.4: the device grant, answered by the authorization server's token endpoint. */
export function deviceTokenGrant(identity: Identity, devices: DeviceStore): TokenGrant {
  const { services } = identity;
  return {
    grantType: DEVICE_GRANT,
    metadata: (issuer) => ({ device_authorization_endpoint: `${issuer}/oauth/device_authorization` }),
    async handle(c, params) {
      if (!params.device_code) return oauthError(c, 'invalid_request', 'device_code is required');
      const result = await devices.poll(params.device_code, c.get('orgId'), services.clock.now());
      switch (result.kind) {
        case 'pending':
          return oauthError(c, 'authorization_pending', 'The user has not decided yet');
        case 'slow_down':
          // RFC 8628 §3.5: the client adds 5 seconds to its interval.
          return oauthError(c, 'slow_down', `Poll at most every ${result.interval} s`);
        case 'denied':
          return oauthError(c, 'access_denied', 'The user denied the request');
        case 'expired':
          return oauthError(c, 'expired_token', 'The device code expired');
        // RFC 6749 §5.2: a grant that is invalid, expired or revoked; a code never issued here (or
        // already exchanged) is not one that expired.
        case 'unknown':
          return oauthError(c, 'invalid_grant', 'The device code is not valid');
        case 'approved': {
          const session = await mintDeviceSession(identity, await requestFacts(c, services), result);
          c.header('Cache-Control', 'no-store');
          return c.json({
            access_token: session.token,
            token_type: 'Bearer',
            expires_in: Math.floor((session.expiresAt - services.clock.now()) / 1000),
          });
        }
      }
    },
  };
}
