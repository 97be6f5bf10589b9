import { PylonError } from '@pylon/core';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { Identity } from './identity.js';
import type { RequestFacts } from './sign-in.js';

type Facts = Pick<RequestFacts, 'ip' | 'requestId'>;

const audit = (identity: Identity, facts: Facts, userId: string, detail: Record<string, unknown>) =>
  appendAudit(identity.services.storage.db, identity.services.clock.now(), {
    org: DEPLOYMENT_AUDIT,
    action: 'session.revoked',
    actor: userId,
    target: userId,
    detail,
    ip: facts.ip,
    requestId: facts.requestId,
  });

/**
 * Revoke one of the person's sessions (another person's is not found, the same as none). Shared
 * by `DELETE /sessions/:id` and the hosted `/account/sessions` page.
 */
export async function revokeSession(
  identity: Identity,
  facts: Facts,
  input: { userId: string; sessionId: string },
): Promise<void> {
  if (!(await identity.sessions.revoke(input.userId, input.sessionId)))
    throw new PylonError('SESSION_NOT_FOUND');
  await audit(identity, facts, input.userId, { session_id: input.sessionId });
}

/** Sign out every session of the person but the one asking; returns how many went. */
export async function revokeOtherSessions(
  identity: Identity,
  facts: Facts,
  input: { userId: string; keepSessionId: string },
): Promise<number> {
  const count = await identity.sessions.revokeAll(input.userId, { except: input.keepSessionId });
  await audit(identity, facts, input.userId, { scope: 'others', count });
  return count;
}
