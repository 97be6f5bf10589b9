import { compactVerify, errors } from 'jose';
import { type ClaimExpectations, checkClaims, type VerifiedClaims } from './claims.js';
import { TokenInvalidError } from './errors.js';
import type { OnEvent } from './events.js';
import type { KeySet } from './key-set.js';
import { createTokenCache } from './token-cache.js';
import { decodeJSON, MAX_TOKEN_LENGTH, readTokenHeader } from './token-header.js';
import type { Actor, Clock } from './types.js';
import { VerifyFailure } from './verify-failure.js';

export interface VerifierOptions {
  keySet: KeySet;
  expected: ClaimExpectations;
  clock: Clock;
  emit: OnEvent;
  tokenCacheSize: number;
}

/**
 * Scoped-token verification: size, header, key, signature, claims, in that order, each failure a
 * stable reason reported once through `emit`. The caller only ever sees `TokenInvalidError`.
 */
export function createVerifier(options: VerifierOptions): (token: string) => Promise<Actor> {
  const { keySet, expected, clock, emit } = options;
  const cache = createTokenCache(options.tokenCacheSize);

  async function verifyUncached(token: string, nowSeconds: number): Promise<VerifiedClaims> {
    const { kid, signature } = readTokenHeader(token);
    const key = await keySet.getKey(kid);
    if (key === undefined) throw new VerifyFailure('unknown_kid');
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(token, key, { algorithms: ['EdDSA'] }));
    } catch (error) {
      throw new VerifyFailure(
        error instanceof errors.JWSSignatureVerificationFailed ? 'bad_signature' : 'malformed',
      );
    }
    const verified = checkClaims(decodeJSON(payload), expected, nowSeconds);
    cache.set(signature, token, verified);
    return verified;
  }

  return async function verify(token) {
    const nowSeconds = Math.floor(clock.now() / 1000);
    try {
      if (token.length > MAX_TOKEN_LENGTH) throw new VerifyFailure('oversized');
      const signature = token.slice(token.lastIndexOf('.') + 1);
      const hit = cache.get(signature, token, nowSeconds, expected.skewSeconds);
      return (hit ?? (await verifyUncached(token, nowSeconds))).actor;
    } catch (error) {
      if (!(error instanceof VerifyFailure)) throw error;
      emit('token.verify.failed', { reason: error.reason });
      throw new TokenInvalidError();
    }
  };
}
