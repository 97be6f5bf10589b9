import { compactVerify, errors } from 'jose';
import {
  type ClaimExpectations,
  checkAccessTokenClaims,
  checkClaims,
  type VerifiedClaims,
} from './claims.js';
import { TokenInvalidError, tokenKind } from './errors.js';
import type { OnEvent } from './events.js';
import type { KeySet } from './key-set.js';
import type { ResolvedOrg } from './org-discovery.js';
import { createTokenCache } from './token-cache.js';
import { decodeJSON, MAX_TOKEN_LENGTH, readTokenHeader } from './token-header.js';
import type { Actor, Clock } from './types.js';
import { VerifyFailure } from './verify-failure.js';

export interface VerifierOptions {
  keySet: KeySet;
  /** The org this client serves, once discovered: its `api_url` is the expected `iss`. */
  resolveOrg: () => Promise<ResolvedOrg>;
  expected: Omit<ClaimExpectations, 'issuer'>;
  /**
   * Set when this app is an OAuth resource server: its resource URL and the longest access-token
   * life accepted. Without it, an access token (`typ: at+jwt`) is refused as `wrong_token_type`.
   */
  accessTokens?: { resource: string; maxLifetimeSeconds: number } | undefined;
  clock: Clock;
  emit: OnEvent;
  warn: (message: string) => void;
  tokenCacheSize: number;
}

/**
 * Token verification: size, header, org, key, signature, claims, in that order, each
 * failure a stable reason reported once through `emit`. The caller only ever sees
 * `TokenInvalidError` (or, when nothing can be verified at all, the key-set or discovery error).
 */
export function createVerifier(options: VerifierOptions): (token: string) => Promise<Actor> {
  const { keySet, clock, emit } = options;
  const kind = tokenKind(options.accessTokens?.resource);
  const cache = createTokenCache(options.tokenCacheSize);
  let verifiedOnce = false;
  let warnedIssuer = false;

  async function verifyUncached(token: string, nowSeconds: number): Promise<VerifiedClaims> {
    const { kid, accessToken, signature } = readTokenHeader(token);
    // The header's `typ` picks the checks, and each kind has its own audience (the app id, or
    // this server's resource URL), so neither kind can pass as the other (RFC 9068 §4, RFC 8725 §3.11).
    if (accessToken && options.accessTokens === undefined) throw new VerifyFailure('wrong_token_type');
    const org = await options.resolveOrg();
    const key = await keySet.getKey(kid);
    if (key === undefined) throw new VerifyFailure('unknown_kid');
    if (key === null) throw new VerifyFailure('key_not_for_verification');
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(token, key, { algorithms: ['EdDSA'] }));
    } catch (error) {
      throw new VerifyFailure(
        error instanceof errors.JWSSignatureVerificationFailed ? 'bad_signature' : 'malformed',
      );
    }
    const expected = { ...options.expected, issuer: org.api_url };
    const claims = decodeJSON(payload);
    const verified =
      accessToken && options.accessTokens
        ? checkAccessTokenClaims(claims, { ...expected, ...options.accessTokens }, nowSeconds)
        : checkClaims(claims, expected, nowSeconds);
    cache.set(signature, token, verified);
    return verified;
  }

  /**
   * A token Pylon signed for this org whose `iss` is not ours, before any token verified, is this
   * client's configuration (or the server's public URL), not an attack: say so, once. Another org's
   * token, which anyone can mint, never gets here (`checkClaims` calls it `wrong_org`).
   */
  async function warnIssuerOnce(tokenIssuer: string | undefined): Promise<void> {
    if (warnedIssuer || verifiedOnce || tokenIssuer === undefined) return;
    warnedIssuer = true;
    const expected = (await options.resolveOrg()).api_url;
    const shown = printable(tokenIssuer);
    const message =
      `@pylon/sdk: tokens are issued by ${shown} but this client expects ${expected}: ` +
      `set orgUrl to ${shown} (or, if that is not where this Pylon is reached, set PYLON_PUBLIC_URL on the server)`;
    emit('org.issuer_mismatch', { token_issuer: shown, expected_issuer: expected, message });
    options.warn(message);
  }

  return async function verify(token) {
    const nowSeconds = Math.floor(clock.now() / 1000);
    try {
      // A JavaScript caller may hand over what a header read gave (undefined, null) or anything.
      if (typeof token !== 'string') throw new VerifyFailure('malformed');
      if (token.length > MAX_TOKEN_LENGTH) throw new VerifyFailure('oversized');
      const signature = token.slice(token.lastIndexOf('.') + 1);
      const hit = cache.get(signature, token, nowSeconds, options.expected.skewSeconds);
      const { actor } = hit ?? (await verifyUncached(token, nowSeconds));
      verifiedOnce = true;
      return actor;
    } catch (error) {
      if (!(error instanceof VerifyFailure)) throw error;
      emit('token.verify.failed', { reason: error.reason });
      if (error.reason === 'wrong_issuer') await warnIssuerOnce(error.detail.issuer);
      throw new TokenInvalidError(kind);
    }
  };
}

// The `iss` comes from a signed token, but still goes into a log line: no control characters.
function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}
