import { PylonError } from '@pylon/core';
import { TrustedDeviceList, TrustedDeviceRevokeResponse } from '@pylon/core/wire';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { AppContext } from '../../http/context.js';
import { defineRoute } from '../../http/route-table.js';
import type { Identity } from '../identity/identity.js';
import { clientIP, requireSession } from '../identity/route-helpers.js';
import { clearTrustedDeviceCookie } from './cookie.js';
import type { TrustedDeviceStore } from './trusted-device-store.js';

const seconds = (ms: number) => Math.floor(ms / 1000);

/** `/api/auth/trusted-devices`: the caller's trusted browsers, and forgetting them. */
export function trustedDeviceRoutes(identity: Identity, devices: TrustedDeviceStore) {
  const { services } = identity;
  const audit = (c: AppContext, userId: string, detail: Record<string, unknown>) =>
    appendAudit(services.storage.db, services.clock.now(), {
      org: DEPLOYMENT_AUDIT,
      action: 'trusted_device.revoked',
      actor: userId,
      target: userId,
      detail,
      ip: clientIP(c, services),
      requestId: c.get('requestId'),
    });

  return [
    defineRoute({
      method: 'get',
      path: '/trusted-devices',
      summary: 'The browsers that skip your second factor (trusted at a TOTP challenge)',
      tags: ['totp'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: {
          description: 'Unexpired trusted devices, oldest first (times in seconds)',
          schema: TrustedDeviceList,
        },
        401: { description: 'UNAUTHORIZED' },
        403: { description: 'API_KEY_AUTH_FORBIDDEN' },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        const list = await devices.list(auth.userId, services.clock.now());
        return c.json({
          devices: list.map((device) => ({
            id: device.id,
            label: device.label,
            created_at: seconds(device.createdAt),
            last_used_at: device.lastUsedAt === null ? null : seconds(device.lastUsedAt),
            expires_at: seconds(device.expiresAt),
          })),
        });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/trusted-devices',
      summary: 'Forget every trusted device: each asks for the second factor again',
      tags: ['totp'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'How many were forgotten', schema: TrustedDeviceRevokeResponse },
        401: { description: 'UNAUTHORIZED' },
        403: { description: 'API_KEY_AUTH_FORBIDDEN' },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        const count = await devices.revokeAll(auth.userId);
        await audit(c, auth.userId, { scope: 'all', count });
        clearTrustedDeviceCookie(c, services.config);
        return c.json({ revoked_count: count });
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/trusted-devices/:id',
      summary: 'Forget one trusted device',
      tags: ['totp'],
      security: ['session', 'sessionCookie'],
      responses: {
        200: { description: 'Forgotten', schema: TrustedDeviceRevokeResponse },
        401: { description: 'UNAUTHORIZED' },
        403: { description: 'API_KEY_AUTH_FORBIDDEN' },
        404: { description: "TRUSTED_DEVICE_NOT_FOUND (also another user's device)" },
      },
      handler: async (c) => {
        const auth = await requireSession(c, services);
        const id = c.req.param('id') ?? '';
        if (!(await devices.revoke(auth.userId, id))) throw new PylonError('TRUSTED_DEVICE_NOT_FOUND');
        await audit(c, auth.userId, { device_id: id });
        return c.json({ revoked_count: 1 });
      },
    }),
  ];
}
