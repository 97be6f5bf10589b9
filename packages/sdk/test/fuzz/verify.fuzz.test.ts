import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBearer } from '../../src/bearer.js';
import { pylonClient } from '../../src/client.js';
import { TokenInvalidError } from '../../src/errors.js';
import { fakePylon, manualClock } from '../support/fake-pylon.js';
import { APP_ID, NOW_MS, ORG_ID, ORG_URL, type SigningKey, sign, signingKey } from '../support/keys.js';

// Every request an MCP server receives carries a token someone else wrote. Properties: the
// verifier only ever answers with the actor or TokenInvalidError, and no edit to a signed token
// is accepted as anything but the original.

let key: SigningKey;
let token: string;
let client: ReturnType<typeof pylonClient>;

beforeAll(async () => {
  key = await signingKey('k1');
  token = await sign(key);
  client = pylonClient({
    orgUrl: ORG_URL,
    appId: APP_ID,
    expectedOrgId: ORG_ID,
    fetch: fakePylon([key]).fetch,
    clock: manualClock(NOW_MS),
    logger: null,
  });
});

async function outcome(candidate: string): Promise<'refused' | string> {
  try {
    const actor = await client.verify(candidate);
    return actor.sub;
  } catch (error) {
    expect(error).toBeInstanceOf(TokenInvalidError);
    return 'refused';
  }
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';

describe('scoped-token verification under fuzzing', () => {
  it('answers only with an actor or TokenInvalidError for arbitrary strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (candidate) => {
        expect(await outcome(candidate)).toBe('refused');
      }),
      { numRuns: 500 },
    );
  });

  it('accepts no edited token (one character changed, inserted or removed) as anything new', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.constantFrom(...alphabet),
        fc.constantFrom('replace', 'insert', 'delete'),
        async (at, char, how) => {
          const i = at % token.length;
          const edited =
            how === 'replace'
              ? token.slice(0, i) + char + token.slice(i + 1)
              : how === 'insert'
                ? token.slice(0, i) + char + token.slice(i)
                : token.slice(0, i) + token.slice(i + 1);
          const result = await outcome(edited);
          // base64url has spare bits in its last character: an edit there can decode to the very
          // same bytes, and then it is the same signed token. Anything else must be refused.
          if (result !== 'refused') expect(result).toBe('alice@example.com');
        },
      ),
      { numRuns: 800 },
    );
  });

  it('refuses headers and payloads spliced from other tokens', async () => {
    const other = await sign(key, {
      iss: ORG_URL,
      aud: APP_ID,
      sub: 'mallory@example.com',
      exp: NOW_MS / 1000 + 30,
    });
    const [h1, p1, s1] = token.split('.');
    const [h2, p2, s2] = other.split('.');
    for (const spliced of [`${h1}.${p2}.${s1}`, `${h2}.${p1}.${s2}`, `${h1}.${p1}.${s2}`, `${h1}.${p2}.`]) {
      expect(await outcome(spliced)).toBe('refused');
    }
  });
});

describe('readBearer (RFC 6750 §2.1)', () => {
  it('yields only token68 values from Bearer headers', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }),
        fc.constantFrom('Bearer ', 'bearer ', '', 'Basic '),
        (tail, scheme) => {
          const value = readBearer({
            headers: new Headers({ authorization: `${scheme}${tail}`.slice(0, 200) }),
          });
          if (value === undefined) return;
          expect(value).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
          expect(scheme.toLowerCase()).toBe('bearer ');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
