import { PylonError } from '@pylon/core';
import { appendAudit } from '../../audit/audit-log.js';
import type { Services } from '../../http/context.js';
import type { ConsentStore } from './consent-store.js';

/**
 * Revoke one of the person's remembered consents (and every refresh token issued under it), and
 * audit it in the consent's org: the JSON API (`DELETE /oauth/consents/:id`) and the account page
 * (`/account/apps`) both end here. `consent_not_found` for another person's or an unknown id.
 */
export async function revokeConsent(
  services: Services,
  consents: ConsentStore,
  input: { orgId: string; userId: string; id: string; requestId: string; ip?: string | null },
): Promise<void> {
  const now = services.clock.now();
  if (!(await consents.revoke(input.orgId, input.userId, input.id, now))) {
    throw new PylonError('consent_not_found');
  }
  await appendAudit(services.storage.db, now, {
    org: input.orgId,
    action: 'oauth.consent_revoked',
    actor: { type: 'user', id: input.userId },
    target: input.userId,
    detail: { consent_id: input.id },
    ip: input.ip ?? null,
    requestId: input.requestId,
  });
}
