import { renderMagicCodeEmail } from '../../mail/index.js';
import { requireCaptcha } from '../captcha/captcha.js';
import { auditUserCreated, type Identity, limitSignInsByIP, proveEmail, requireEmail } from './identity.js';
import { requireValidCode, sendCode } from './one-time-code.js';
import { type RequestFacts, type SignInOutcome, signIn } from './sign-in.js';

interface MagicCodeRequest {
  email: unknown;
  captchaToken: unknown;
}
/** The code went out (development shows it). */
export interface MagicCodeSent {
  kind: 'sent';
  email: string;
  code: string;
}
/** The caller's other way in was offered instead; nothing was sent. */
export interface MagicCodeInstead<Instead> {
  kind: 'instead';
  email: string;
  instead: Instead;
}

/**
 * Email a sign-in code: the per-IP sign-in limit first, then the captcha, then the code (with its
 * per-address throttle). The limit comes before anything that costs more or asks a third party, so
 * refused callers cannot make us call the captcha provider or send mail. Shared by
 * `POST /magic/send` and the hosted `/login/code`, so no caller can skip a step. `instead` lets the
 * page offer the address's SSO in place of a code, after the limit and before the captcha (the
 * offer carries the widget again, for the person who still wants a code); a non-null answer
 * sends nothing.
 */
export function sendMagicCode(
  identity: Identity,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  input: MagicCodeRequest,
): Promise<MagicCodeSent>;
export function sendMagicCode<Instead>(
  identity: Identity,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  input: MagicCodeRequest,
  instead: (email: string) => Promise<Instead | null>,
): Promise<MagicCodeSent | MagicCodeInstead<Instead>>;
export async function sendMagicCode<Instead>(
  identity: Identity,
  facts: Pick<RequestFacts, 'ip' | 'requestId'>,
  input: MagicCodeRequest,
  instead: (email: string) => Promise<Instead | null> = async () => null,
): Promise<MagicCodeSent | MagicCodeInstead<Instead>> {
  const { services } = identity;
  const email = requireEmail(input.email);
  await limitSignInsByIP(identity, facts.ip, services.clock.now());
  const other = await instead(email);
  if (other !== null) return { kind: 'instead', email, instead: other };
  await requireCaptcha(services, input.captchaToken, facts);
  const { brand } = services.config;
  const code = await sendCode(identity, facts, 'magic', email, (value, expiresInMinutes) =>
    renderMagicCodeEmail({ code: value, appName: brand.name, expiresInMinutes, brand }),
  );
  return { kind: 'sent', email, code };
}

/**
 * An emailed code → a sign-in (or a TOTP challenge): the account is created on first use and its
 * email marked verified, since receiving the code proves the address. `email` is already
 * normalised (requireEmail); the per-IP sign-in limit is charged first, then the code is checked
 * (MISSING_CODE, INVALID_CODE, RATE_LIMITED). Shared by `POST /magic/verify` and `/login/verify`.
 */
export async function magicCodeSignIn(
  identity: Identity,
  facts: RequestFacts,
  input: { email: string; code: unknown },
): Promise<SignInOutcome> {
  const { email } = input;
  await limitSignInsByIP(identity, facts.ip, identity.services.clock.now());
  try {
    await requireValidCode(identity, 'magic', email, input.code, identity.services.clock.now());
  } catch (error) {
    identity.services.metrics.signIn('magic_code', 'failed');
    throw error;
  }
  return signIn(identity, facts, {
    method: 'magic_code',
    prepare: async (trx, at) => {
      const existing = await identity.users.findByEmail(email, trx);
      if (existing) {
        // The code proves the address: whoever registered it before its owner keeps nothing.
        await proveEmail(trx, identity, {
          userId: existing.id,
          now: at,
          method: 'magic_code',
          ip: facts.ip,
          requestId: facts.requestId,
        });
        return existing.id;
      }
      const user = await identity.users.create(trx, at, { email, verified: true });
      await auditUserCreated(trx, at, user.id, 'magic_code', facts.requestId);
      return user.id;
    },
  });
}
