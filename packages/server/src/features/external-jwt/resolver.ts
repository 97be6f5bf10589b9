import { checkTimeClaims, decodeProtectedHeader, isValidEmail, PylonError } from '@pylon/core';
import { createRemoteJWKSet, customFetch, decodeJwt, type JWTPayload, jwtVerify } from 'jose';
import type { Clock } from '../../clock.js';
import type { JWTIssuerConfig } from '../../config/config.js';
import { DEFAULTS } from '../../config/defaults.js';
import type { AuthContext, CallerResolver } from '../../http/auth-context.js';
import { sha256Hex } from '../../platform/node-crypto.js';
import { issuedAfterLastDisable } from '../identity/disable-cutoff.js';

// Asymmetric only: with a symmetric algorithm, a public key could be used as an HMAC secret.
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const invalid = () => new PylonError('INVALID_JWT');

/**
 * The identity-provider name under which an issuer's subjects are linked to local accounts in the
 * `identities` table: (`jwt:<issuer>`, `sub`), the same (issuer, subject) key as social sign-in.
 */
export const externalProvider = (issuer: string) => `jwt:${issuer}`;

/**
 * The user id an unlinked external subject acts as. Derived from (issuer, subject), so it is
 * stable, differs between issuers, and can never equal a local `usr_`/`guest_` id: a token whose
 * `sub` is a local user's id gets nothing of that user.
 */
export function externalUserId(issuer: string, subject: string): string {
  return `ext_${sha256Hex(`${issuer}\n${subject}`).slice(0, 32)}`;
}

/**
 * When the token was issued, for the disable cut-off: its `iat`, or, without one, the earliest it
 * can have been issued (`exp` less the issuer's maximum lifetime).
 */
function issuedAtOf(payload: JWTPayload, config: JWTIssuerConfig): number {
  return typeof payload.iat === 'number' ? payload.iat : (payload.exp as number) - config.maxLifetimeSeconds;
}

/**
 * The local accounts an external caller reaches: the one its (issuer, subject) was explicitly
 * linked to, if any, and whether that account or the one holding its proven address is disabled
 * (an admin who disables someone cuts off every way their grants apply, this one included), and
 * when either was last disabled (ms): a token issued before then stays refused after an enable.
 */
export type LocalAccountOf = (
  provider: string,
  subject: string,
  provenEmail: string | null,
) => Promise<{ linkedUserId: string | null; disabled: boolean; lastDisabledAt: number | null }>;

/**
 * Bearer JWTs from configured issuers (docs/API.md "External JWTs"): verified against that
 * issuer's key set only — the configured URL, cached, refetched on an unknown `kid` at most once
 * a minute; `jku`, `x5u` and embedded `jwk` headers are never followed, keys whose `use`/`key_ops`
 * forbid verifying are never chosen — with exact `iss` and `aud`, a required `exp`, no `iat` in
 * the future, no lifetime over the issuer's maximum, ≤ 60 s of skew, and a header without
 * duplicate members. The caller is the (issuer, subject) identity; its email counts only when the
 * issuer is trusted for email and the token says the address is verified. A token reaching a
 * disabled local account (linked, or holding the proven address) is refused with 403 `FORBIDDEN`,
 * and so is one issued before that account's last disable, after it is enabled again.
 */
export function externalJWTResolver(
  issuers: readonly JWTIssuerConfig[],
  fetchImpl: typeof fetch,
  clock: Clock,
  localAccountOf: LocalAccountOf,
): CallerResolver {
  const keySets = new Map(
    issuers.map((config) => [
      config.issuer,
      createRemoteJWKSet(new URL(config.jwksURL), { cooldownDuration: 60_000, [customFetch]: fetchImpl }),
    ]),
  );
  const byIssuer = new Map(issuers.map((config) => [config.issuer, config]));

  function presented(credentials: Parameters<CallerResolver['resolve']>[0]): string | null {
    if (credentials.bearer !== null && JWT_SHAPE.test(credentials.bearer)) return credentials.bearer;
    for (const config of issuers) {
      const fromHeader = config.header === null ? null : credentials.header(config.header);
      if (fromHeader) return fromHeader;
    }
    return null;
  }

  async function callerOf(token: string): Promise<AuthContext> {
    // RFC 7515 §5.2: a header with a member twice means different things to different parsers.
    if (decodeProtectedHeader(token) === null) throw invalid();
    let claimedIssuer: unknown;
    try {
      claimedIssuer = decodeJwt(token).iss;
    } catch {
      throw invalid();
    }
    const config = typeof claimedIssuer === 'string' ? byIssuer.get(claimedIssuer) : undefined;
    if (!config) throw invalid();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySets.get(config.issuer)!, {
        issuer: config.issuer,
        audience: config.audience,
        algorithms: ALGORITHMS,
        clockTolerance: DEFAULTS.externalJWTSkewSeconds,
        requiredClaims: ['exp'],
        currentDate: new Date(clock.now()),
      }));
    } catch {
      throw invalid();
    }
    const problem = checkTimeClaims(payload, {
      now: Math.floor(clock.now() / 1000),
      skewSeconds: DEFAULTS.externalJWTSkewSeconds,
      maxLifetimeSeconds: config.maxLifetimeSeconds,
    });
    if (problem !== null) throw invalid();
    const subject = payload[config.userIdClaim];
    if (typeof subject !== 'string' || subject === '') throw invalid();
    const email = payload[config.emailClaim];
    // An address counts only when sign-up would take it, judged as the issuer wrote it: a look-alike
    // that lowercases into someone else's (a KELVIN SIGN `K`) must not reach their grants.
    const provenEmail =
      config.trustEmail && payload.email_verified === true && typeof email === 'string' && isValidEmail(email)
        ? email.trim().toLowerCase()
        : null;
    const roles = config.rolesClaim === null ? [] : payload[config.rolesClaim];
    const local = await localAccountOf(externalProvider(config.issuer), subject, provenEmail);
    if (local.disabled) throw new PylonError('FORBIDDEN', { message: 'This account is disabled' });
    if (!issuedAfterLastDisable(issuedAtOf(payload, config), local.lastDisabledAt))
      throw new PylonError('FORBIDDEN', { message: 'This token was issued before the account was disabled' });
    const context: AuthContext = {
      userId: local.linkedUserId ?? externalUserId(config.issuer, subject),
      // Without proof there is no email: no email-keyed grant, no bootstrap address, no org.
      email: provenEmail,
      emailVerified: provenEmail !== null,
      isAdmin: false,
      isGuest: false,
      roles: Array.isArray(roles) ? roles.filter((role): role is string => typeof role === 'string') : [],
      tenantId: null,
      authMethod: 'external_jwt',
    };
    return context;
  }

  return {
    name: 'external_jwt',
    // A bearer JWT is a bearer token; an issuer configured with a header of its own adds that one.
    presented: (credentials) =>
      issuers.some((config) => config.header !== null && credentials.header(config.header) !== null),
    // Declines at once; only a token it must verify is a promise.
    resolve(credentials) {
      if (issuers.length === 0) return null;
      const token = presented(credentials);
      return token === null ? null : callerOf(token);
    },
  };
}
