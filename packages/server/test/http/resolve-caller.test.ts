import { PylonError } from '@pylon/core';
import { describe, expect, it } from 'vitest';
import type { ActivityRecorder } from '../../src/activity/activity-recorder.js';
import { apiKeyResolver } from '../../src/features/api-keys/api-key-resolver.js';
import type { APIKeyStore } from '../../src/features/api-keys/api-key-store.js';
import { externalJWTResolver } from '../../src/features/external-jwt/resolver.js';
import { adminTokenResolver } from '../../src/http/admin-token.js';
import {
  ANONYMOUS,
  type AuthContext,
  type CallerResolver,
  type Credentials,
  callerFrom,
  resolveCaller,
} from '../../src/http/auth-context.js';

/**
 * resolveCaller asks each resolver in turn; a resolver may answer at once (a value) or later (a
 * promise). These pin what callers rely on either way: the order, the first answer winning, a
 * throw always arriving as the promise's rejection, and a decline at once costing no wait.
 */
const credentials = (bearer: string | null, query = ''): Credentials => ({
  bearer,
  cookies: {},
  method: 'GET',
  origin: null,
  referer: null,
  userAgent: null,
  header: () => null,
  query: new URLSearchParams(query),
});

const caller = (userId: string): AuthContext => ({ ...ANONYMOUS, userId, authMethod: 'session' });

/** A resolver whose credentials are its kind but invalid, told without I/O. */
const THROWS_AT_ONCE: CallerResolver = {
  name: 'throws at once',
  resolve: () => {
    throw new PylonError('INVALID_API_KEY');
  },
};

/** A resolver whose look-up fails. */
const REJECTS: CallerResolver = { name: 'rejects', resolve: () => Promise.reject(new Error('down')) };

function recording(
  name: string,
  answer: (credentials: Credentials) => ReturnType<CallerResolver['resolve']>,
) {
  const asked: string[] = [];
  const resolver: CallerResolver = {
    name,
    resolve(given) {
      asked.push(name);
      return answer(given);
    },
  };
  return { resolver, asked };
}

describe('resolveCaller', () => {
  it('asks the resolvers in order and takes the first answer, given at once or later', async () => {
    const order: string[] = [];
    const noted = <T>(name: string, answer: T): T => {
      order.push(name);
      return answer;
    };
    const resolvers: CallerResolver[] = [
      { name: 'declines at once', resolve: () => noted('a', null) },
      { name: 'declines later', resolve: async () => noted('b', null) },
      { name: 'answers at once', resolve: () => noted('c', caller('usr_c')) },
      { name: 'never asked', resolve: async () => noted('d', caller('usr_d')) },
    ];
    expect((await resolveCaller(resolvers, credentials('x'))).userId).toBe('usr_c');
    expect(order).toEqual(['a', 'b', 'c']);

    const later = [resolvers[0]!, { name: 'answers later', resolve: async () => caller('usr_later') }];
    expect((await resolveCaller(later, credentials('x'))).userId).toBe('usr_later');

    // A thenable that is not this realm's Promise is waited for too: one that declines is a
    // decline (the next resolver is asked), never taken for the caller.
    const thenable = (value: AuthContext | null) =>
      ({
        // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a Promise is what this checks
        then: (fulfil: (answer: AuthContext | null) => void) => fulfil(value),
      }) as unknown as Promise<AuthContext | null>;
    const declinesLater: CallerResolver = { name: 'declines with a thenable', resolve: () => thenable(null) };
    const next: CallerResolver = { name: 'next', resolve: () => caller('usr_next') };
    expect(await resolveCaller([declinesLater, next], credentials('x'))).toMatchObject({
      userId: 'usr_next',
    });
    const answersLater: CallerResolver = {
      name: 'answers with a thenable',
      resolve: () => thenable(caller('usr_t')),
    };
    expect(await resolveCaller([answersLater, next], credentials('x'))).toMatchObject({ userId: 'usr_t' });
  });

  it('is ANONYMOUS when every resolver declines', async () => {
    const { resolver, asked } = recording('declines', () => null);
    expect(await resolveCaller([resolver, resolver], credentials(null))).toBe(ANONYMOUS);
    expect(asked).toHaveLength(2);
  });

  it('turns a resolver’s synchronous throw into the rejection of its promise, and stops there', async () => {
    const { resolver: after, asked } = recording('after', () => caller('usr_after'));
    let returned: Promise<AuthContext> | undefined;
    expect(() => {
      returned = resolveCaller([THROWS_AT_ONCE, after], credentials('pk.x'));
    }).not.toThrow();
    await expect(returned).rejects.toMatchObject({ code: 'INVALID_API_KEY' });
    expect(asked).toEqual([]);

    await expect(resolveCaller([REJECTS, after], credentials('x'))).rejects.toThrow('down');
  });

  it('waits for no turn of the microtask queue for a resolver that declines at once', async () => {
    // Resolved within the same number of turns whether one or five resolvers decline before it.
    const turnsUntilResolved = async (decliners: number) => {
      const resolvers: CallerResolver[] = [
        ...Array.from({ length: decliners }, (_, i) => ({ name: `declines ${i}`, resolve: () => null })),
        { name: 'answers', resolve: () => caller('usr_1') },
      ];
      let settled = false;
      const resolving = resolveCaller(resolvers, credentials('x')).then(() => {
        settled = true;
      });
      let turns = 0;
      while (!settled) {
        await Promise.resolve();
        turns++;
      }
      await resolving;
      return turns;
    };
    expect(await turnsUntilResolved(5)).toBe(await turnsUntilResolved(1));
  });
});

describe('callerFrom', () => {
  it('is the caller itself when every resolver asked answers at once, and anonymous when none answers', () => {
    const { resolver: declines, asked } = recording('declines', () => null);
    const { resolver: answers } = recording('answers', () => caller('usr_now'));
    const { resolver: never, asked: neverAsked } = recording('never', () => caller('usr_never'));
    expect(callerFrom([declines, answers, never], credentials('x'))).toMatchObject({ userId: 'usr_now' });
    expect(asked).toEqual(['declines']);
    expect(neverAsked).toEqual([]);
    expect(callerFrom([declines, declines], credentials('x'))).toBe(ANONYMOUS);
  });

  it('is a promise from the first resolver that answers with one, and asks the rest after it declines', async () => {
    const { resolver: later, asked: laterAsked } = recording('later', async () => null);
    const { resolver: after, asked: afterAsked } = recording('after', () => caller('usr_after'));
    const answer = callerFrom([later, after], credentials('x'));
    expect(answer).toBeInstanceOf(Promise);
    // The rest wait for the declining promise: nothing after it was asked yet.
    expect(laterAsked).toEqual(['later']);
    expect(afterAsked).toEqual([]);
    expect(await answer).toMatchObject({ userId: 'usr_after' });
    expect(afterAsked).toEqual(['after']);
    // Any thenable counts as a promise, never as the caller.
    const thenable: CallerResolver = {
      name: 'thenable',
      resolve: () =>
        ({
          // biome-ignore lint/suspicious/noThenProperty: a foreign promise-like answer is the point.
          then: (resolve: (value: null) => void) => resolve(null),
        }) as unknown as Promise<null>,
    };
    expect(await callerFrom([thenable, after], credentials('x'))).toMatchObject({ userId: 'usr_after' });
  });

  it("throws a resolver's synchronous throw at once, and rejects with a later one", async () => {
    const { resolver: after, asked } = recording('after', () => caller('usr_after'));
    expect(() => callerFrom([THROWS_AT_ONCE, after], credentials('pk.x'))).toThrow(PylonError);
    expect(asked).toEqual([]);
    await expect(callerFrom([REJECTS, after], credentials('x'))).rejects.toThrow('down');
    expect(asked).toEqual([]);
  });
});

describe('adminTokenResolver', () => {
  it('answers at once: the admin for the token, null for anything else', () => {
    const resolver = adminTokenResolver('a'.repeat(64), 'default');
    const admin = resolver.resolve(credentials('a'.repeat(64)));
    expect(admin).toMatchObject({ isAdmin: true, authMethod: 'admin_token', tenantId: 'default' });
    expect(resolver.resolve(credentials(`${'a'.repeat(63)}b`))).toBeNull();
    expect(resolver.resolve(credentials(null))).toBeNull();
    expect(adminTokenResolver(null, 'default').resolve(credentials('a'.repeat(64)))).toBeNull();
  });
});

describe('the API-key and external-JWT resolvers decline at once', () => {
  const clock = { now: () => 0 };
  // Neither store nor recorder may be touched when the resolver declines or refuses outright.
  const untouched = new Proxy(
    {},
    {
      get: () => {
        throw new Error('touched');
      },
    },
  );
  const keys = apiKeyResolver(untouched as APIKeyStore, untouched as ActivityRecorder, clock);

  it('API keys: null for another kind of bearer, a throw (not a promise) for a key in the URL', () => {
    expect(keys.resolve(credentials(null))).toBeNull();
    expect(keys.resolve(credentials(`pylon_${'ab'.repeat(32)}`))).toBeNull();
    expect(() => keys.resolve(credentials(null, 'k=pk.key_x.y'))).toThrow(PylonError);
    // A key in the header is looked up: that one is a promise (here rejected by the untouched store).
    const lookedUp = keys.resolve(credentials('pk.key_x.y'));
    expect(lookedUp).toBeInstanceOf(Promise);
    return expect(lookedUp).rejects.toThrow('touched');
  });

  it('external JWTs: null without issuers or without a token, a promise for a token to verify', async () => {
    const noIssuers = externalJWTResolver([], fetch, clock, async () => ({
      linkedUserId: null,
      disabled: false,
      lastDisabledAt: null,
    }));
    expect(noIssuers.resolve(credentials('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.x'))).toBeNull();
    const issuer = {
      issuer: 'https://idp.example',
      jwksURL: 'https://idp.example/jwks',
      audience: 'pylon',
      header: null,
      userIdClaim: 'sub',
      emailClaim: 'email',
      trustEmail: false,
      rolesClaim: null,
      maxLifetimeSeconds: 3600,
    } as unknown as Parameters<typeof externalJWTResolver>[0][number];
    const one = externalJWTResolver([issuer], fetch, clock, async () => ({
      linkedUserId: null,
      disabled: false,
      lastDisabledAt: null,
    }));
    expect(one.resolve(credentials(`pylon_${'ab'.repeat(32)}`))).toBeNull();
    expect(one.resolve(credentials(null))).toBeNull();
    // A malformed token is its kind and invalid: refused, as the rejection of its promise.
    const refused = one.resolve(credentials('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.x'));
    expect(refused).toBeInstanceOf(Promise);
    await expect(refused).rejects.toBeInstanceOf(PylonError);
  });
});
