import { PylonError } from '@pylon/core';
import { mailFailureReason, renderPasswordResetEmail } from '../../mail/index.js';
import { requireCaptcha } from '../captcha/captcha.js';
import { refuseBreachedPassword } from './breached-passwords.js';
import { type Identity, limitSignInsByIP, requireEmail } from './identity.js';
import { throttleCodeSends } from './one-time-code.js';
import { replacePassword, requireStrongPassword } from './password-policy.js';
import type { RequestFacts } from './sign-in.js';

const RESET_TTL_SECONDS = 30 * 60;

/**
 * Email a reset code to the address when it has an enabled account; the caller answers the same
 * either way. The per-IP sign-in limit, the captcha and the code-send throttle come first. Shared
 * by `POST /password/reset/request` and the hosted `/reset` page.
 */
export async function requestPasswordReset(
  identity: Identity,
  facts: RequestFacts,
  input: { email?: unknown; captchaToken?: unknown },
): Promise<string> {
  const { services } = identity;
  const email = requireEmail(input.email);
  const now = services.clock.now();
  await limitSignInsByIP(identity, facts.ip, now);
  await requireCaptcha(services, input.captchaToken, { ip: facts.ip, requestId: facts.requestId });
  await throttleCodeSends(identity, email, now);
  const user = await identity.users.findByEmail(email);
  if (user && user.disabledAt === null) {
    const token = await identity.codes.issueToken({
      purpose: 'password_reset',
      email,
      now,
      ttlSeconds: RESET_TTL_SECONDS,
    });
    // Not awaited: the answer must not take longer for an account that exists. A failed
    // send is logged; the person can ask again.
    services.background.run(
      services.mailer
        .send({
          to: email,
          ...renderPasswordResetEmail({
            code: token,
            expiresInMinutes: RESET_TTL_SECONDS / 60,
            brand: services.config.brand,
          }),
        })
        .catch((error: unknown) =>
          services.logger.error(
            { requestId: facts.requestId, reason: mailFailureReason(error) },
            'password reset email failed',
          ),
        ),
    );
  }
  return email;
}

/**
 * Spend a reset token on a new password: signs out every session and proves the address. The
 * password is checked (length, breach list) before the token is spent. Returns the sessions revoked.
 */
export async function completePasswordReset(
  identity: Identity,
  facts: RequestFacts,
  input: { token?: unknown; newPassword?: unknown },
): Promise<number> {
  const { services } = identity;
  const now = services.clock.now();
  await limitSignInsByIP(identity, facts.ip, now);
  const newPassword = requireStrongPassword(input.newPassword, 'newPassword');
  // Before the token is spent: a refused password leaves the emailed link usable.
  await refuseBreachedPassword(services, newPassword, facts.requestId);
  const invalid = () => new PylonError('INVALID_TOKEN');
  if (typeof input.token !== 'string' || input.token.length < 20 || input.token.length > 200) throw invalid();
  const email = await identity.codes.consumeToken('password_reset', input.token, now);
  const user = email === null ? null : await identity.users.findByEmail(email);
  if (!user || user.disabledAt !== null) throw invalid();
  const hash = await identity.hasher.hash(newPassword);
  return replacePassword(identity, facts, {
    userId: user.id,
    hash,
    action: 'password.reset',
    verifyEmail: true,
  });
}
