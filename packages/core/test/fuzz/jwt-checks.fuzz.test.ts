import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTimeClaims, decodeProtectedHeader, hasDuplicateMemberNames } from '../../src/jwt-checks.js';

// Property tests for the JWT pieces every verifier in Pylon shares. Each property runs on
// generated input; a failure prints the smallest counterexample fast-check finds.

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** JSON values that survive a JSON round trip (no -0, no undefined), as headers carry them. */
const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown);
const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), jsonValue, { maxKeys: 6 });

/** The strict reference: RFC 7515 §5.2 — a header is a JSON object with no member named twice. */
function referenceHeader(segment: string): Record<string, unknown> | null {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return null;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(segment, 'base64url'));
  } catch {
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  return hasDuplicateNamesReference(text) ? null : (value as Record<string, unknown>);
}

/**
 * A second, independent duplicate-name check over text already known to be JSON: tokenize it
 * (strings and punctuation), and a string followed by `:` is a member name of the innermost object.
 */
function hasDuplicateNamesReference(text: string): boolean {
  const stack: Array<Set<string> | null> = [];
  let duplicate = false;
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|[{}[\]:,]/g) ?? [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '{') stack.push(new Set());
    else if (token === '[') stack.push(null);
    else if (token === '}' || token === ']') stack.pop();
    else if (token.startsWith('"') && tokens[i + 1] === ':') {
      const names = stack[stack.length - 1];
      const name = JSON.parse(token) as string;
      if (names?.has(name)) duplicate = true;
      names?.add(name);
    }
  }
  return duplicate;
}

describe('decodeProtectedHeader (RFC 7515 §5.2)', () => {
  it('never throws, and returns an object or null, for any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (token) => {
        const header = decodeProtectedHeader(token);
        expect(header === null || (typeof header === 'object' && !Array.isArray(header))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with the strict reference on base64url soups of JSON-ish text', () => {
    const jsonish = fc
      .array(
        fc.constantFrom('{', '}', '[', ']', ':', ',', '"a"', '"b"', '"\\u0061"', '1', 'null', ' ', '"'),
        {
          maxLength: 24,
        },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(jsonish, fc.string({ maxLength: 10 }), (text, rest) => {
        const segment = b64url(text);
        const token = `${segment}.${rest}`;
        expect(decodeProtectedHeader(token)).toEqual(referenceHeader(segment));
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips every JSON object header', () => {
    fc.assert(
      fc.property(jsonObject, (header) => {
        expect(decodeProtectedHeader(`${b64url(JSON.stringify(header))}.e30.sig`)).toEqual(header);
      }),
    );
  });

  it('refuses a header that names a member twice, wherever the duplicate hides', () => {
    fc.assert(
      fc.property(jsonObject, fc.string({ minLength: 1, maxLength: 6 }), (header, name) => {
        const body = JSON.stringify({ ...header, [name]: 'first' }).slice(1, -1);
        const text = `{${body},${JSON.stringify(name)}:"second"}`;
        expect(hasDuplicateMemberNames(text)).toBe(true);
        expect(decodeProtectedHeader(`${b64url(text)}.e30.sig`)).toBeNull();
      }),
    );
  });

  it('finds a duplicate spelled with an escape ("al\\u0067" and "alg")', () => {
    expect(hasDuplicateMemberNames('{"alg":"none","al\\u0067":"EdDSA"}')).toBe(true);
  });
});

describe('checkTimeClaims (RFC 7519 §4.1.4–4.1.6, stricter)', () => {
  const options = fc.record({
    now: fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }),
    skewSeconds: fc.integer({ min: 0, max: 300 }),
    maxLifetimeSeconds: fc.integer({ min: 1, max: 86_400 }),
  });
  const claim = fc.oneof(
    fc.constant(undefined),
    fc.integer({ min: 900_000_000, max: 4_100_000_000 }),
    fc.double(),
    fc.string({ maxLength: 4 }),
    fc.constant(null),
  );

  it('accepts only what the rules allow, for any claims and clock', () => {
    fc.assert(
      fc.property(options, claim, claim, claim, (opts, exp, iat, nbf) => {
        const payload: Record<string, unknown> = {};
        if (exp !== undefined) payload.exp = exp;
        if (iat !== undefined) payload.iat = iat;
        if (nbf !== undefined) payload.nbf = nbf;
        const problem = checkTimeClaims(payload, opts);
        if (problem !== null) return;
        // Accepted: every rule must hold, read straight from the RFC and the documented limits.
        const { now, skewSeconds, maxLifetimeSeconds } = opts;
        expect(typeof exp === 'number' && Number.isFinite(exp)).toBe(true);
        const e = exp as number;
        expect(e).toBeGreaterThan(now - skewSeconds);
        expect(e - now).toBeLessThanOrEqual(maxLifetimeSeconds + skewSeconds);
        if (nbf !== undefined) expect(typeof nbf === 'number' && nbf <= now + skewSeconds).toBe(true);
        if (iat !== undefined) {
          expect(typeof iat === 'number' && Number.isFinite(iat) && iat <= now + skewSeconds).toBe(true);
          expect(e - (iat as number)).toBeLessThanOrEqual(maxLifetimeSeconds + skewSeconds);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts a token issued now that lives within the limit', () => {
    fc.assert(
      fc.property(options, fc.integer({ min: 1, max: 86_400 }), (opts, life) => {
        fc.pre(life <= opts.maxLifetimeSeconds);
        const payload = { iat: opts.now, nbf: opts.now, exp: opts.now + life };
        expect(checkTimeClaims(payload, opts)).toBeNull();
      }),
    );
  });
});
