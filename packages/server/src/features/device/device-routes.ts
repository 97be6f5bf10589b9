import { PylonError } from '@pylon/core';
import {
  DeviceCompleteRequest,
  DeviceCompleteResponse,
  DeviceInitRequest,
  DeviceInitResponse,
  DevicePollQuery,
  DevicePollResponse,
} from '@pylon/core/wire';
import type { AppContext } from '../../http/context.js';
import { getAuth } from '../../http/get-auth.js';
import { requestAPIURL } from '../../http/org-hosts.js';
import { defineRoute } from '../../http/route-table.js';
import { pageBase } from '../../pages/page-context.js';
import { ipBucket } from '../../rate-limit/ip-bucket.js';
import type { Identity } from '../identity/identity.js';
import { clientIP, requestFacts } from '../identity/route-helpers.js';
import type { OrgStore } from '../orgs/org-store.js';
import { DEVICE_CSRF, devicePageRoutes } from './device-page.js';
import { mintDeviceSession, requireDeviceApprover } from './device-session.js';
import { DEVICE_TTL_SECONDS, type DeviceStore, POLL_INTERVAL_SECONDS } from './device-store.js';
import { displayUserCode, normalizeUserCode } from './user-code.js';

const WRONG_CODE_RULES = {
  ip: { name: 'device_code_ip', limit: 20, windowSeconds: 60 },
  user: { name: 'device_code_user', limit: 10, windowSeconds: 60 },
};

export function deviceRoutes(identity: Identity, devices: DeviceStore, orgs: Pick<OrgStore, 'roleOf'>) {
  const { services } = identity;
  const apiURL = (c: AppContext) => requestAPIURL(c, services.config);

  /**
   * Approve or deny by user code for the signed-in person. A wrong code counts against the
   * address and the person (RFC 8628 §5.1: user codes are short, so guessing must be throttled);
   * unknown, expired and used codes answer alike.
   */
  async function decide(c: AppContext, rawCode: unknown, approve: boolean, userId: string) {
    const now = services.clock.now();
    const code = typeof rawCode === 'string' ? normalizeUserCode(rawCode) : null;
    const decided =
      code === null ? null : await devices.decide(code, c.get('orgId'), { approve, userId }, now);
    if (!decided) {
      const byIP = await identity.limiter.hit(WRONG_CODE_RULES.ip, ipBucket(clientIP(c, services)), now);
      const byUser = await identity.limiter.hit(WRONG_CODE_RULES.user, userId, now);
      if (!byIP.allowed || !byUser.allowed)
        throw new PylonError('slow_down', { message: 'Too many wrong codes; wait a minute' });
      throw new PylonError('unknown_user_code');
    }
    return decided;
  }

  return [
    defineRoute({
      method: 'post',
      path: '/device/init',
      summary: 'Start a device login (pylon-cli): a device code to poll with and a user code to show',
      tags: ['device'],
      body: DeviceInitRequest,
      responses: {
        200: {
          description: 'Started',
          schema: DeviceInitResponse,
        },
        401: { description: 'org_mismatch: org_id is not the org of this base URL' },
      },
      handler: async (c, { body }) => {
        if (body.org_id !== c.get('orgId'))
          throw new PylonError('org_mismatch', { message: 'org_id is not the org this URL serves' });
        const { deviceCode, userCode } = await devices.create({
          client: body.client,
          orgId: c.get('orgId'),
          now: services.clock.now(),
          requestedIP: clientIP(c, services),
        });
        const shown = displayUserCode(userCode);
        return c.json({
          device_code: deviceCode,
          user_code: shown,
          verification_url: `${apiURL(c)}/device`,
          verification_url_complete: `${apiURL(c)}/device?user_code=${shown}`,
          expires_in: DEVICE_TTL_SECONDS,
          interval: POLL_INTERVAL_SECONDS,
        });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/device/poll',
      summary:
        'Poll a device login: pending, authorised (with the session, once), or expired (also when denied)',
      tags: ['device'],
      query: DevicePollQuery,
      responses: {
        200: {
          description: 'The state',
          schema: DevicePollResponse,
        },
        429: { description: 'slow_down: polled faster than the interval (which grows by 5 s)' },
      },
      handler: async (c, { query }) => {
        const result = await devices.poll(query.device_code, c.get('orgId'), services.clock.now());
        switch (result.kind) {
          case 'slow_down':
            throw new PylonError('slow_down', {
              message: `Poll at most every ${result.interval} s`,
              headers: { 'Retry-After': String(result.interval) },
            });
          case 'pending':
            return c.json({ status: 'pending' as const });
          // pylon-cli knows pending, authorised and expired only; any other status keeps it polling
          // until the code times out. A denial ends the request like an expiry, so it stops at once
          // (standard clients get RFC 8628's `access_denied` from /oauth/token).
          case 'denied':
          case 'unknown':
          case 'expired':
            return c.json({ status: 'expired' as const });
          case 'approved': {
            const session = await mintDeviceSession(identity, await requestFacts(c, services), result);
            // `session_jwt` carries the opaque session token: the field name is pylon-cli's.
            return c.json({
              status: 'authorised' as const,
              session_jwt: session.token,
              session_expires_at: session.expiresAt,
            });
          }
        }
      },
    }),
    defineRoute({
      method: 'post',
      path: '/device/complete',
      summary: 'Approve or deny a device login by its user code (session: cookie + CSRF token, or bearer)',
      tags: ['device'],
      security: ['session', 'sessionCookie'],
      body: DeviceCompleteRequest,
      acceptsForm: true,
      responses: {
        200: {
          description: 'Decided',
          schema: DeviceCompleteResponse,
        },
        401: { description: 'no_session' },
        403: {
          description:
            'forbidden, csrf_failed or not_a_member: a cookie-authenticated form without the page’s CSRF token, a cookie from another origin, or a person outside the org (any signed-in person decides for the default org)',
        },
        404: { description: 'unknown_user_code (unknown, expired or used alike)' },
        429: { description: 'slow_down: too many wrong codes' },
      },
      handler: async (c, { body }) => {
        const auth = await getAuth(c, services);
        if (auth.authMethod !== 'session' || auth.userId === null)
          throw new PylonError('no_session', { message: 'Sign in first' });
        const viaCookie = c.req.header('authorization') === undefined;
        // A form's post must carry the page's token (its origin was checked when the cookie was read).
        if (viaCookie && !DEVICE_CSRF.passes(c, services, body.csrf)) {
          throw new PylonError('forbidden', {
            message: 'The form is missing its CSRF token; reload the page',
          });
        }
        await requireDeviceApprover(orgs, services.config, c.get('orgId'), auth.userId);
        const approve = body.approve === true || body.approve === 'true';
        const decided = await decide(c, body.user_code, approve, auth.userId);
        const status = approve ? ('approved' as const) : ('denied' as const);
        const wantsHTML = (c.req.header('accept') ?? '').includes('text/html');
        if (wantsHTML) return c.redirect(`${pageBase(c)}/device/done?status=${status}`, 303);
        return c.json({ status, client: decided.client });
      },
    }),
    ...devicePageRoutes(identity, devices, orgs),
  ];
}
