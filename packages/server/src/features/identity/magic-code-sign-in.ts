import { auditUserCreated, type Identity, proveEmail } from './identity.js';
import { requireValidCode } from './one-time-code.js';
import { type RequestFacts, type SignInOutcome, signIn } from './sign-in.js';

/**
 * An emailed code → a sign-in (or a TOTP challenge): the account is created on first use and its
 * email marked verified, since receiving the code proves the address. `email` is already
 * normalised (requireEmail); the code is checked here (MISSING_CODE, INVALID_CODE, RATE_LIMITED).
 */
export async function magicCodeSignIn(
  identity: Identity,
  facts: RequestFacts,
  input: { email: string; code: unknown },
): Promise<SignInOutcome> {
  const { email } = input;
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
