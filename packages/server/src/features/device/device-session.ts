import { PylonError } from '@pylon/core';
import { appendAudit } from '../../audit/audit-log.js';
import type { Config } from '../../config/config.js';
import { type Identity, sessionTTLSeconds } from '../identity/identity.js';
import type { RequestFacts } from '../identity/sign-in.js';
import type { OrgStore } from '../orgs/org-store.js';

/**
 * Whether a person may decide device logins to an org: its members. The session an approval gives
 * is bound to the org — its `/api/auth/me` tenant — which `POST /api/auth/select-org` gives
 * members only, so a person outside the org must not get one by approving. The deployment's
 * default org is the exception: it is served at the root for everyone who signs in (nobody is a
 * member of it by default, and grants there need no membership), so any signed-in person approves
 * for it.
 */
export async function isDeviceApprover(
  orgs: Pick<OrgStore, 'roleOf'>,
  config: Pick<Config, 'orgId'>,
  orgId: string,
  userId: string,
): Promise<boolean> {
  return orgId === config.orgId || (await orgs.roleOf(orgId, userId)) !== null;
}

/** isDeviceApprover, or NOT_A_MEMBER (rendered `not_a_member` on the RBAC surface). */
export async function requireDeviceApprover(...args: Parameters<typeof isDeviceApprover>): Promise<void> {
  if (await isDeviceApprover(...args)) return;
  throw new PylonError('NOT_A_MEMBER', {
    message: 'You are not a member of this org: only its members can connect a device to it',
  });
}

/**
 * The session an approved device receives: kind `cli`, 24 h (PYLON_CLI_SESSION_TTL), bound to the
 * org it was requested for. The person approved it from a full browser session (second factor
 * included), so no further challenge applies here. Approving is no sign-in, though: the session
 * carries none (`authenticatedAt` null), so it never counts as a recent one (reauthentication.ts)
 * — else any session, however old, could approve itself a fresh one to add a way in with.
 */
export async function mintDeviceSession(
  identity: Identity,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  approved: { userId: string; orgId: string; client: string },
): Promise<{ token: string; expiresAt: number }> {
  const { services } = identity;
  const now = services.clock.now();
  const { ip } = facts;
  return services.storage.db.transaction().execute(async (trx) => {
    const { token, session } = await identity.sessions.create(
      now,
      {
        userId: approved.userId,
        kind: 'cli',
        ttlSeconds: sessionTTLSeconds(services.config, 'cli'),
        activeOrg: approved.orgId,
        device: approved.client,
        ip,
        authenticatedAt: null,
      },
      trx,
    );
    await appendAudit(trx, now, {
      org: approved.orgId,
      action: 'auth.sign_in',
      actor: approved.userId,
      target: approved.userId,
      detail: { method: 'device', client: approved.client, session_id: session.id },
      ip,
      requestId: facts.requestId,
    });
    return { token, expiresAt: session.expiresAt };
  });
}
