import { PylonError } from '@pylon/core';
import { appendAudit, DEPLOYMENT_AUDIT } from '../../audit/audit-log.js';
import type { Identity } from '../identity/identity.js';
import { requireEmail } from '../identity/identity.js';
import { issueUnsentCode, requireValidCode, sendCodeAfterAnswer } from '../identity/one-time-code.js';
import { requireRecentSignIn } from '../identity/reauthentication.js';
import type { RequestFacts } from '../identity/sign-in.js';
import { EmailTakenError } from '../identity/user-store.js';
import { renderEmailChangeCodeEmail, renderEmailChangedNotice } from './account-mail.js';
import type { EmailChangeStore } from './email-change-store.js';

/**
 * Ask to move the account to a new address: a code goes to the new address, proving it is the
 * caller's. The answer is the same whether the address is free or another account's (no account
 * enumeration); for a taken address no code is sent, and the change could not complete anyway.
 * The code is emailed after the answer, so a free address's answer does not wait on the mail
 * server while a taken one's does not need to, and a taken address gets the same code written,
 * never sent: a failed send is logged, and the person asks again.
 * A new address is a new way in (codes, resets go there): it needs a recent sign-in.
 */
export async function requestEmailChange(
  identity: Identity,
  changes: EmailChangeStore,
  facts: Pick<RequestFacts, 'requestId'>,
  input: { userId: string; sessionId: string; currentEmail: string | null; newEmail: unknown },
): Promise<{ newEmail: string; code: string | null }> {
  const newEmail = requireEmail(input.newEmail);
  if (newEmail === input.currentEmail) throw new PylonError('EMAIL_UNCHANGED');
  await requireRecentSignIn(identity, input);
  const now = identity.services.clock.now();
  await changes.request(input.userId, newEmail, now);
  if (await identity.users.findByEmail(newEmail)) {
    // The same throttle and the same write as for a free address, only never sent: otherwise a
    // second ask within the minute would answer 429 only for a free address, and the answer
    // would come sooner (no code written) for a taken one — either tells the two apart.
    await issueUnsentCode(identity, 'email_change', newEmail);
    return { newEmail, code: null };
  }
  const code = await sendCodeAfterAnswer(
    identity,
    facts,
    'email_change',
    newEmail,
    (value, expiresInMinutes) =>
      renderEmailChangeCodeEmail({ code: value, expiresInMinutes, brand: identity.services.config.brand }),
  );
  return { newEmail, code };
}

/**
 * Redeem the code: the account's address becomes the new one, verified, in one transaction with
 * its audit entry. Sessions stay (the person changing their address is signed in, and nothing
 * about their credentials changed); grants stay with the old address (they name addresses, not
 * accounts). Another account taking the address in between is EMAIL_TAKEN, decided by the
 * unique index. The old address, if any, is told afterwards; a failed notice is logged, not fatal.
 */
export async function completeEmailChange(
  identity: Identity,
  changes: EmailChangeStore,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  input: { userId: string; currentEmail: string | null; code: unknown },
): Promise<string> {
  const { services } = identity;
  const now = services.clock.now();
  const newEmail = await changes.pending(input.userId, now);
  await requireValidCode(identity, 'email_change', newEmail, input.code, now);
  const target = newEmail!;
  await services.storage.db.transaction().execute(async (trx) => {
    if (!(await changes.complete(trx, input.userId, target))) throw new PylonError('INVALID_CODE');
    try {
      await identity.users.changeEmail(trx, input.userId, target, now);
    } catch (error) {
      if (error instanceof EmailTakenError) throw new PylonError('EMAIL_TAKEN');
      throw error;
    }
    await appendAudit(trx, now, {
      org: DEPLOYMENT_AUDIT,
      action: 'user.email_changed',
      actor: { type: 'user', id: input.userId, email: target },
      target: { id: input.userId, email: target },
      detail: { had_email: input.currentEmail !== null },
      ip: facts.ip,
      requestId: facts.requestId,
    });
  });
  if (input.currentEmail !== null) {
    try {
      await services.mailer.send({
        to: input.currentEmail,
        ...renderEmailChangedNotice(services.config.brand),
      });
    } catch (error) {
      services.logger.error(
        { requestId: facts.requestId, reason: error instanceof Error ? error.message : String(error) },
        'email change notice failed',
      );
    }
  }
  return target;
}
