import { base64url, CompactSign, SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { pylonClient } from '../src/client.js';
import { CapabilityDeniedError, TokenInvalidError } from '../src/errors.js';
import type { VerifyFailureReason } from '../src/events.js';
import { fakePylon, manualClock } from './support/fake-pylon.js';
import {
  APP_ID,
  NOW,
  NOW_MS,
  ORG_ID,
  ORG_URL,
  type SigningKey,
  scopedClaims,
  sign,
  signingKey,
} from './support/keys.js';

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

describe('scoped-token verification: every failure has its own reason, and only onEvent hears it', () => {
  let key: SigningKey;
  let stranger: SigningKey;
  let reasons: VerifyFailureReason[];
  let pylon: ReturnType<typeof fakePylon>;
  let client: ReturnType<typeof pylonClient>;

  beforeEach(async () => {
    key = await signingKey('k1');
    stranger = await signingKey('k1');
    reasons = [];
    pylon = fakePylon([key]);
    client = pylonClient({
      orgUrl: `${ORG_URL}/`,
      appId: APP_ID,
      expectedOrgId: ORG_ID,
      fetch: pylon.fetch,
      clock: manualClock(NOW_MS),
      onEvent: (name, detail) => {
        if (name === 'token.verify.failed') reasons.push(detail.reason);
      },
      logger: null,
    });
  });

  /** Refused with exactly `reason`, through both entry points, with a message that does not say why. */
  async function expectRefused(token: string, reason: VerifyFailureReason) {
    const error = await client.verify(token).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenInvalidError);
    expect((error as TokenInvalidError).code).toBe('token_invalid');
    expect((error as Error).message).not.toContain(reason);
    expect(await client.resolve({ bearer: token })).toBeNull();
    expect(reasons).toEqual([reason, reason]);
  }

  it('accepts a token as Pylon mints it and resolves its actor from a request', async () => {
    const token = await sign(key);
    const request = new Request('http://127.0.0.1/', { headers: { authorization: `Bearer ${token}` } });
    expect(await client.resolve(request)).toEqual({
      sub: 'alice@example.com',
      org: ORG_ID,
      app: APP_ID,
      caps: ['notes:notes.read', 'notes:notes.write'],
    });
    expect(await client.resolve({ headers: { authorization: `bearer ${token}` } })).not.toBeNull();
    expect(await client.resolve({ headers: {} })).toBeNull();
    expect(await client.resolve({ headers: { authorization: `Basic ${token}` } })).toBeNull();
    expect(reasons).toEqual([]);
  });

  it('malformed: not three segments, not JSON, not an object, a signed non-JSON payload, missing claims', async () => {
    await expectRefused('not-a-token', 'malformed');
    reasons = [];
    await expectRefused('a.b.c', 'malformed');
    reasons = [];
    await expectRefused(`${encode(['EdDSA'])}.${encode({})}.sig`, 'malformed');
    reasons = [];
    const garbage = await new CompactSign(new TextEncoder().encode('not json'))
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
      .sign(key.privateKey);
    await expectRefused(garbage, 'malformed');
    reasons = [];
    const { sub: _sub, ...withoutSub } = scopedClaims();
    await expectRefused(await sign(key, withoutSub), 'malformed');
    reasons = [];
    await expectRefused(await sign(key, scopedClaims({ caps: 'notes:notes.read' })), 'malformed');
  });

  it('oversized: over 8 KB is refused before parsing (no key-set fetch)', async () => {
    await expectRefused('a'.repeat(8 * 1024 + 1), 'oversized');
    reasons = [];
    await expectRefused(await sign(key, scopedClaims({ padding: 'x'.repeat(8 * 1024) })), 'oversized');
    expect(pylon.keySetFetches()).toBe(0);
  });

  it('alg_not_allowed: none, HS256 keyed with the public key (RFC 8725 §2.1), ES256, Ed25519', async () => {
    await expectRefused(
      `${encode({ alg: 'none', kid: 'k1' })}.${encode(scopedClaims())}.`,
      'alg_not_allowed',
    );
    reasons = [];
    const confused = await new SignJWT(scopedClaims())
      .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
      .sign(base64url.decode(key.jwk.x));
    await expectRefused(confused, 'alg_not_allowed');
    for (const alg of ['ES256', 'Ed25519', 'EDDSA']) {
      reasons = [];
      await expectRefused(`${encode({ alg, kid: 'k1' })}.${encode(scopedClaims())}.c2ln`, 'alg_not_allowed');
    }
    expect(pylon.keySetFetches()).toBe(0);
  });

  it('unknown_kid: a kid Pylon does not publish, even after one refresh; a missing kid', async () => {
    await expectRefused(await sign(stranger, scopedClaims(), 'ghost'), 'unknown_kid');
    reasons = [];
    await expectRefused(`${encode({ alg: 'EdDSA' })}.${encode(scopedClaims())}.c2ln`, 'unknown_kid');
  });

  it('bad_signature: another key under a published kid; a payload edited after signing', async () => {
    await expectRefused(await sign(stranger), 'bad_signature');
    reasons = [];
    const [header, , signature] = (await sign(key)).split('.');
    const elevated = encode(scopedClaims({ caps: ['notes:notes.delete'] }));
    await expectRefused(`${header}.${elevated}.${signature}`, 'bad_signature');
  });

  it('expired and not_yet_valid, with 2 s of skew either way', async () => {
    expect(await client.resolve({ bearer: await sign(key, scopedClaims({ exp: NOW - 1 })) })).not.toBeNull();
    await expectRefused(await sign(key, scopedClaims({ exp: NOW - 2 })), 'expired');
    reasons = [];
    expect(await client.resolve({ bearer: await sign(key, scopedClaims({ nbf: NOW + 2 })) })).not.toBeNull();
    await expectRefused(await sign(key, scopedClaims({ nbf: NOW + 3 })), 'not_yet_valid');
  });

  it('missing_exp: a token without exp would never stop working', async () => {
    const { exp: _exp, ...withoutExp } = scopedClaims();
    await expectRefused(await sign(key, withoutExp), 'missing_exp');
    reasons = [];
    await expectRefused(
      await sign(key, scopedClaims({ exp: String(NOW + 30) as unknown as number })),
      'malformed',
    );
  });

  it('iat_in_future: issued more than 2 s from now', async () => {
    expect(await client.resolve({ bearer: await sign(key, scopedClaims({ iat: NOW + 2 })) })).not.toBeNull();
    await expectRefused(await sign(key, scopedClaims({ iat: NOW + 3 })), 'iat_in_future');
    reasons = [];
    await expectRefused(await sign(key, scopedClaims({ iat: 'now' as unknown as number })), 'malformed');
  });

  it('lifetime_too_long: exp − iat or exp − now over 32 s (30 s + skew) by default', async () => {
    expect(await client.resolve({ bearer: await sign(key, scopedClaims({ exp: NOW + 32 })) })).not.toBeNull();
    await expectRefused(await sign(key, scopedClaims({ exp: NOW + 33 })), 'lifetime_too_long');
    reasons = [];
    // Still 30 s to live, but issued 100 s ago: no Pylon token lives 130 s.
    await expectRefused(
      await sign(key, scopedClaims({ iat: NOW - 100, exp: NOW + 30 })),
      'lifetime_too_long',
    );
    reasons = [];
    const { iat: _iat, ...withoutIat } = scopedClaims({ exp: NOW + 3600 });
    await expectRefused(await sign(key, withoutIat), 'lifetime_too_long');
  });

  it('maxTokenLifetimeSeconds raises (or lowers) the limit; a nonsensical one fails at construction', async () => {
    const events: VerifyFailureReason[] = [];
    const options = {
      orgUrl: ORG_URL,
      appId: APP_ID,
      expectedOrgId: ORG_ID,
      fetch: pylon.fetch,
      clock: manualClock(NOW_MS),
      onEvent: (name: string, detail: unknown) => {
        if (name === 'token.verify.failed') events.push((detail as { reason: VerifyFailureReason }).reason);
      },
    };
    const hour = pylonClient({ ...options, maxTokenLifetimeSeconds: 3600 });
    expect(await hour.resolve({ bearer: await sign(key, scopedClaims({ exp: NOW + 3600 })) })).not.toBeNull();
    expect(await hour.resolve({ bearer: await sign(key, scopedClaims({ exp: NOW + 3601 })) })).toBeNull();
    const strict = pylonClient({ ...options, maxTokenLifetimeSeconds: 10 });
    expect(await strict.resolve({ bearer: await sign(key) })).toBeNull();
    expect(events).toEqual(['lifetime_too_long', 'lifetime_too_long']);
    expect(() => pylonClient({ ...options, maxTokenLifetimeSeconds: 0 })).toThrow(TypeError);
    expect(() => pylonClient({ ...options, maxTokenLifetimeSeconds: Number.NaN })).toThrow(TypeError);
  });

  it('duplicate_header_parameter: a header naming alg twice, whichever comes last (RFC 7515 §5.2)', async () => {
    const payload = encode(scopedClaims());
    const signed = async (headerJSON: string) => {
      const header = base64url.encode(headerJSON);
      const input = new TextEncoder().encode(`${header}.${payload}`);
      const signature = await crypto.subtle.sign('Ed25519', key.privateKey, input);
      return `${header}.${payload}.${base64url.encode(new Uint8Array(signature))}`;
    };
    // The same bytes with one alg verify: the refusal is the duplicate, not the signature.
    expect(await client.resolve({ bearer: await signed('{"alg":"EdDSA","kid":"k1"}') })).not.toBeNull();
    for (const header of [
      '{"alg":"none","alg":"EdDSA","kid":"k1"}',
      '{"alg":"EdDSA","alg":"none","kid":"k1"}',
      // `\u0061lg` is `alg`: names are compared after unescaping.
      '{"alg":"EdDSA","kid":"k1","\\u0061lg":"EdDSA"}',
      '{"alg":"EdDSA","kid":"k1","kid":"k1"}',
    ]) {
      reasons = [];
      await expectRefused(await signed(header), 'duplicate_header_parameter');
    }
  });

  it('key_not_for_verification: the kid names a key published with use:enc, or key_ops without verify', async () => {
    const withJWK = (extra: Record<string, unknown>, kid: string) =>
      ({ ...key, kid, jwk: { ...key.jwk, kid, use: undefined, ...extra } }) as unknown as SigningKey;
    pylon.state.keys = [
      withJWK({ use: 'enc' }, 'enc'),
      withJWK({ key_ops: ['encrypt'] }, 'ops'),
      withJWK({ key_ops: 'verify' }, 'ops-string'),
      withJWK({ use: 'sig', key_ops: ['sign', 'verify'] }, 'both'),
      withJWK({ key_ops: ['verify'] }, 'verify-only'),
    ];
    for (const kid of ['enc', 'ops', 'ops-string']) {
      reasons = [];
      await expectRefused(await sign(key, scopedClaims(), kid), 'key_not_for_verification');
    }
    // Known but unusable: not an unknown kid, so no forced refresh.
    expect(pylon.keySetFetches()).toBe(1);
    for (const kid of ['both', 'verify-only']) {
      expect(await client.resolve({ bearer: await sign(key, scopedClaims(), kid) })).not.toBeNull();
    }
  });

  it('wrong_issuer, wrong_audience, wrong_org, wrong_app', async () => {
    const cases: Array<[Record<string, unknown>, VerifyFailureReason]> = [
      [{ iss: 'https://pylon.example.com/o/acme' }, 'wrong_issuer'],
      [{ iss: `${ORG_URL}/` }, 'wrong_issuer'],
      // Another org's api_url on this origin is another org's token, whatever its `org` says.
      [{ iss: 'http://127.0.0.1:4000/o/other' }, 'wrong_org'],
      [{ iss: 'http://localhost:4000/o/other/x' }, 'wrong_org'],
      [{ iss: 'https://pylon.example.com/o/other', org: 'other' }, 'wrong_org'],
      [{ aud: 'other-app' }, 'wrong_audience'],
      [{ org: 'other' }, 'wrong_org'],
      [{ app: 'other-app' }, 'wrong_app'],
    ];
    for (const [claims, reason] of cases) {
      reasons = [];
      await expectRefused(await sign(key, scopedClaims(claims)), reason);
    }
  });

  it('capabilities: bare or namespaced names; requireCapability throws CapabilityDeniedError', async () => {
    const actor = (await client.resolve({ bearer: await sign(key) }))!;
    expect(client.hasCapability(actor, 'notes.read')).toBe(true);
    expect(client.hasCapability(actor, 'notes:notes.write')).toBe(true);
    expect(client.hasCapability(actor, 'notes.delete')).toBe(false);
    expect(() => client.requireCapability(actor, 'notes.read')).not.toThrow();
    expect(() => client.requireCapability(actor, 'notes:notes.write')).not.toThrow();
    expect(() => client.requireCapability(actor, 'notes.delete')).toThrowError(
      expect.objectContaining({ code: 'insufficient_capability', capability: 'notes:notes.delete' }),
    );
  });

  it('a capability that is not this app’s name is a typed error, with or without an actor', async () => {
    const actor = (await client.resolve({ bearer: await sign(key) }))!;
    const invalid = expect.objectContaining({ name: 'InvalidArgumentError', code: 'invalid_argument' });
    // ['notes.read'] would read as "notes.read" through string coercion; another app's prefix can
    // never be in this app's tokens.
    for (const capability of [undefined, null, 42, '', ['notes.read'], { toString: () => 'notes.read' }]) {
      for (const who of [actor, null]) {
        const name = capability as unknown as string;
        expect(() => client.requireCapability(who, name)).toThrowError(invalid);
        expect(() => client.hasCapability(who, name)).toThrowError(invalid);
      }
    }
    expect(() => client.requireCapability(actor, 42 as unknown as string)).toThrow(
      'A capability is a string: a bare name or "notes:<name>"',
    );
    for (const capability of ['other:notes.read', 'notes:', ':notes.read', 'note:notes.read']) {
      expect(() => client.hasCapability(actor, capability)).toThrowError(invalid);
      expect(() => client.requireCapability(actor, capability)).toThrow(/a bare name or "notes:<name>"/);
    }
  });

  it('an actor of another org (same app id) holds nothing here', async () => {
    const acme = (await client.resolve({ bearer: await sign(key) }))!;
    const elsewhere = { ...acme, org: 'default' };
    expect(client.hasCapability(elsewhere, 'notes.read')).toBe(false);
    expect(() => client.requireCapability(elsewhere, 'notes.read')).toThrowError(
      expect.objectContaining({ code: 'insufficient_capability' }),
    );
    expect(client.hasCapability({ ...acme, app: 'other' }, 'notes.read')).toBe(false);
  });

  it('verify of a non-string is token_invalid (malformed); resolve of a non-source is a typed error', async () => {
    for (const token of [undefined, null, 123, {}]) {
      await expect(client.verify(token as unknown as string)).rejects.toBeInstanceOf(TokenInvalidError);
    }
    expect(reasons).toEqual(['malformed', 'malformed', 'malformed', 'malformed']);
    const invalid = expect.objectContaining({ name: 'InvalidArgumentError', code: 'invalid_argument' });
    for (const source of [{}, undefined, null, 'token', { headers: null }, { bearer: 123 }]) {
      await expect(client.resolve(source as never)).rejects.toEqual(invalid);
    }
    await expect(client.resolve({} as never)).rejects.toThrow(
      'resolve takes a request with headers or { bearer }',
    );
    expect(await client.resolve({ bearer: null })).toBeNull();
    expect(await client.resolve({ bearer: '' })).toBeNull();
  });

  it('no actor (resolve answered null): hasCapability is false, requireCapability throws no_session', async () => {
    const actor = await client.resolve({ bearer: undefined });
    expect(actor).toBeNull();
    expect(client.hasCapability(actor, 'notes.read')).toBe(false);
    let thrown: unknown;
    try {
      client.requireCapability(actor, 'notes.read');
    } catch (error) {
      thrown = error;
    }
    // Still a denial (a handler catching CapabilityDeniedError catches it), but with the guard's
    // code for a request without a valid token: 401, not 403.
    expect(thrown).toBeInstanceOf(CapabilityDeniedError);
    expect(thrown).toMatchObject({ code: 'no_session', capability: 'notes:notes.read' });
    expect((thrown as Error).message).toBe(
      'This action needs the capability notes:notes.read: there is no verified token',
    );
  });
});
