import { appendAudit } from '../../audit/audit-log.js';
import { type Identity, sessionTTLSeconds } from '../identity/identity.js';
import type { RequestFacts } from '../identity/sign-in.js';

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
