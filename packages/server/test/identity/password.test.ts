import * as argon2 from '@node-rs/argon2';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  checkPasswordPolicy,
  createPasswordHasher,
  DEFAULT_ARGON2_PARAMS,
  passwordHashConcurrency,
} from '../../src/platform/password.js';
import { testDatabases } from '../support/databases.js';
import { startTestServer } from '../support/server.js';

// Pass-through spies: the real binding still runs, the tests can see that it did.
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const real = await importOriginal<typeof import('@node-rs/argon2')>();
  return { ...real, hash: vi.fn(real.hash), verify: vi.fn(real.verify) };
});

const hashSpy = vi.mocked(argon2.hash);
const verifySpy = vi.mocked(argon2.verify);
const realHash = hashSpy.getMockImplementation()!;
const realVerify = verifySpy.getMockImplementation()!;

// Low cost so the suite stays fast; only the default-parameter tests pay the real price.
const FAST = { memoryKiB: 1024, timeCost: 1 } as const;
const PASSWORD = 'correct horse battery staple';

/** Flips every bit of the last byte of the PHC hash segment, re-encoded as the PHC expects. */
function corruptFinalByte(phc: string): string {
  const cut = phc.lastIndexOf('$');
  const output = Buffer.from(phc.slice(cut + 1), 'base64');
  output[output.length - 1] = (output[output.length - 1] ?? 0) ^ 0xff;
  return phc.slice(0, cut + 1) + output.toString('base64').replace(/=+$/, '');
}

beforeEach(() => {
  hashSpy.mockReset().mockImplementation(realHash);
  verifySpy.mockReset().mockImplementation(realVerify);
});

describe('createPasswordHasher with the documented defaults', () => {
  it('exposes the contract parameters', () => {
    expect(DEFAULT_ARGON2_PARAMS).toEqual({
      memoryKiB: 19456,
      timeCost: 2,
      parallelism: 1,
      saltBytes: 16,
      outputBytes: 32,
    });
    expect(Object.isFrozen(DEFAULT_ARGON2_PARAMS)).toBe(true);
  });

  it('hashes to an Argon2id PHC string with a 16-byte salt and a 32-byte output', async () => {
    const hasher = createPasswordHasher();
    const phc = await hasher.hash(PASSWORD);
    expect(phc.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    const [, , , , salt, output] = phc.split('$');
    expect(Buffer.from(salt ?? '', 'base64')).toHaveLength(16);
    expect(Buffer.from(output ?? '', 'base64')).toHaveLength(32);
    expect(await hasher.verify(phc, PASSWORD)).toBe(true);
    expect(hasher.needsRehash(phc)).toBe(false);
  });
});

describe('hash and verify', () => {
  const hasher = createPasswordHasher(FAST);

  it('verifies the right password and rejects a wrong one', async () => {
    const phc = await hasher.hash(PASSWORD);
    expect(phc.startsWith('$argon2id$v=19$m=1024,t=1,p=1$')).toBe(true);
    expect(await hasher.verify(phc, PASSWORD)).toBe(true);
    expect(await hasher.verify(phc, `${PASSWORD}!`)).toBe(false);
    expect(await hasher.verify(phc, PASSWORD.toUpperCase())).toBe(false);
  });

  it('salts every hash: the same password twice gives two different strings, both valid', async () => {
    const first = await hasher.hash(PASSWORD);
    const second = await hasher.hash(PASSWORD);
    expect(first).not.toBe(second);
    expect(first.split('$')[4]).not.toBe(second.split('$')[4]);
    expect(await hasher.verify(first, PASSWORD)).toBe(true);
    expect(await hasher.verify(second, PASSWORD)).toBe(true);
  });

  it('verifies a hash made with other (older) parameters, so a cost change does not lock anyone out', async () => {
    const old = await createPasswordHasher({ memoryKiB: 4096, timeCost: 1 }).hash(PASSWORD);
    expect(await hasher.verify(old, PASSWORD)).toBe(true);
  });

  it('rejects a hash whose final output byte was changed', async () => {
    const phc = await hasher.hash(PASSWORD);
    const tampered = corruptFinalByte(phc);
    expect(tampered).not.toBe(phc);
    expect(tampered.length).toBe(phc.length);
    expect(await hasher.verify(tampered, PASSWORD)).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['garbage', 'not a hash at all'],
    ['only the algorithm', '$argon2id$'],
    ['no salt or output', '$argon2id$v=19$m=1024,t=1,p=1$'],
    ['empty salt and output', '$argon2id$v=19$m=1024,t=1,p=1$$'],
    ['bad base64', '$argon2id$v=19$m=1024,t=1,p=1$!!!!$!!!!'],
    ['unknown algorithm', '$argon2x$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA'],
    ['a bcrypt hash', '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW'],
    ['NUL bytes', '\u0000\u0000\u0000'],
  ])('answers false, without throwing, for a malformed stored hash (%s)', async (_, stored) => {
    await expect(hasher.verify(stored, PASSWORD)).resolves.toBe(false);
  });

  it('answers false for a truncated stored hash', async () => {
    const phc = await hasher.hash(PASSWORD);
    await expect(hasher.verify(phc.slice(0, -10), PASSWORD)).resolves.toBe(false);
    await expect(hasher.verify(phc.slice(0, phc.lastIndexOf('$')), PASSWORD)).resolves.toBe(false);
  });

  it('refuses an over-long password without running Argon2', async () => {
    await expect(hasher.hash('a'.repeat(257))).rejects.toThrow(RangeError);
    expect(hashSpy).not.toHaveBeenCalled();
  });

  it('refuses impossible parameters when the hasher is made, not on first use', () => {
    expect(() => createPasswordHasher({ timeCost: 0 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ parallelism: 0 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ memoryKiB: 7 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ memoryKiB: 1.5 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ saltBytes: 4 })).toThrow(RangeError);
    expect(() => createPasswordHasher({ outputBytes: 2 })).toThrow(RangeError);
  });
});

describe('no truncation', () => {
  const hasher = createPasswordHasher(FAST);

  it('two 256-character passwords differing only in the last character do not verify against each other', async () => {
    const stem = 'x'.repeat(255);
    const a = `${stem}a`;
    const b = `${stem}b`;
    expect(checkPasswordPolicy(a)).toBe('ok');
    const phc = await hasher.hash(a);
    expect(await hasher.verify(phc, a)).toBe(true);
    expect(await hasher.verify(phc, b)).toBe(false);
  });

  it('passwords sharing their first 72 bytes still differ (bcrypt truncation regression)', async () => {
    const prefix = 'p'.repeat(72);
    const phc = await hasher.hash(`${prefix}-one`);
    expect(await hasher.verify(phc, `${prefix}-one`)).toBe(true);
    expect(await hasher.verify(phc, `${prefix}-two`)).toBe(false);
    expect(await hasher.verify(phc, prefix)).toBe(false);
  });

  it('the same holds when the first 72 bytes are multi-byte characters', async () => {
    const prefix = '😀'.repeat(18); // 18 × 4 UTF-8 bytes = 72 bytes
    expect(Buffer.byteLength(prefix, 'utf8')).toBe(72);
    const phc = await hasher.hash(`${prefix}aa`);
    expect(await hasher.verify(phc, `${prefix}aa`)).toBe(true);
    expect(await hasher.verify(phc, `${prefix}ab`)).toBe(false);
  });
});

describe('needsRehash', () => {
  const hasher = createPasswordHasher(FAST);

  it('is false for a hash made with the configured parameters', async () => {
    expect(hasher.needsRehash(await hasher.hash(PASSWORD))).toBe(false);
  });

  it('is true for a hash made with lower parameters', async () => {
    const weak = await createPasswordHasher({ memoryKiB: 4096, timeCost: 1 }).hash(PASSWORD);
    expect(createPasswordHasher().needsRehash(weak)).toBe(true);
  });

  it('is true when any one parameter differs', async () => {
    const phc = await hasher.hash(PASSWORD);
    expect(createPasswordHasher({ ...FAST, memoryKiB: 2048 }).needsRehash(phc)).toBe(true);
    expect(createPasswordHasher({ ...FAST, timeCost: 2 }).needsRehash(phc)).toBe(true);
    expect(createPasswordHasher({ ...FAST, parallelism: 2 }).needsRehash(phc)).toBe(true);
    expect(createPasswordHasher({ ...FAST, outputBytes: 64 }).needsRehash(phc)).toBe(true);
    expect(createPasswordHasher({ ...FAST, saltBytes: 32 }).needsRehash(phc)).toBe(true);
  });

  it('is true for argon2i, argon2d and pre-0x13 hashes with otherwise identical parameters', async () => {
    const phc = await hasher.hash(PASSWORD);
    expect(hasher.needsRehash(phc.replace('$argon2id$', '$argon2i$'))).toBe(true);
    expect(hasher.needsRehash(phc.replace('$argon2id$', '$argon2d$'))).toBe(true);
    expect(hasher.needsRehash(phc.replace('$v=19$', '$v=16$'))).toBe(true);
    expect(hasher.needsRehash(phc.replace('$v=19$', '$'))).toBe(true);
  });

  it.each([
    '',
    'garbage',
    '$argon2id$v=19$m=1024,t=1,p=1$',
    '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW',
  ])('is true for an unparseable stored hash (%j)', (stored) => {
    expect(hasher.needsRehash(stored)).toBe(true);
  });
});

describe('verifyDummy', () => {
  it('runs one real Argon2 verify against a hash made with the configured parameters, and answers false', async () => {
    const hasher = createPasswordHasher(FAST);
    const pending = hasher.verifyDummy(PASSWORD);
    expect(pending).toBeInstanceOf(Promise);
    await expect(pending).resolves.toBe(false);

    expect(verifySpy).toHaveBeenCalledTimes(1);
    const [dummy] = verifySpy.mock.calls[0] ?? [];
    expect(String(dummy).startsWith('$argon2id$v=19$m=1024,t=1,p=1$')).toBe(true);
    expect(hasher.needsRehash(String(dummy))).toBe(false);
    // The verify was awaited, not fired and forgotten.
    await expect(verifySpy.mock.results[0]?.value).resolves.toBe(false);
  });

  it('answers false even for the secret the dummy hash was made from', async () => {
    const hasher = createPasswordHasher(FAST);
    await hasher.verifyDummy(PASSWORD);
    expect(hashSpy).toHaveBeenCalledTimes(1);
    const [secret] = hashSpy.mock.calls[0] ?? [];
    expect(typeof secret).toBe('string');

    verifySpy.mockClear();
    await expect(hasher.verifyDummy(String(secret))).resolves.toBe(false);
    // The underlying verify did match, which shows the answer does not depend on it.
    await expect(verifySpy.mock.results[0]?.value).resolves.toBe(true);
  });

  it('makes the dummy hash once, lazily, even under concurrent first calls', async () => {
    const hasher = createPasswordHasher(FAST);
    expect(hashSpy).not.toHaveBeenCalled();
    await Promise.all([hasher.verifyDummy('a'), hasher.verifyDummy('b'), hasher.verifyDummy('c')]);
    await hasher.verifyDummy('d');
    expect(hashSpy).toHaveBeenCalledTimes(1);
    expect(verifySpy).toHaveBeenCalledTimes(4);
  });

  it('gives each hasher its own dummy, so a parameter change is reflected in its cost', async () => {
    await createPasswordHasher(FAST).verifyDummy(PASSWORD);
    await createPasswordHasher({ memoryKiB: 2048, timeCost: 1 }).verifyDummy(PASSWORD);
    const dummies = verifySpy.mock.calls.map(([phc]) => String(phc));
    expect(dummies[0]?.startsWith('$argon2id$v=19$m=1024,t=1,p=1$')).toBe(true);
    expect(dummies[1]?.startsWith('$argon2id$v=19$m=2048,t=1,p=1$')).toBe(true);
  });
});

describe('checkPasswordPolicy (10–256 code points)', () => {
  it.each([
    ['empty', '', 'too_short'],
    ['9 characters', 'a'.repeat(9), 'too_short'],
    ['10 characters', 'a'.repeat(10), 'ok'],
    ['256 characters', 'a'.repeat(256), 'ok'],
    ['257 characters', 'a'.repeat(257), 'too_long'],
    ['a megabyte', 'a'.repeat(1 << 20), 'too_long'],
  ] as const)('%s → %s', (_, password, expected) => {
    expect(checkPasswordPolicy(password)).toBe(expected);
  });

  it('counts an astral emoji as one character, not two UTF-16 units', () => {
    // '😀' is U+1F600: one code point, two UTF-16 units, four UTF-8 bytes.
    expect('😀'.repeat(5)).toHaveLength(10);
    expect(checkPasswordPolicy('😀'.repeat(5))).toBe('too_short');
    expect(checkPasswordPolicy('😀'.repeat(9))).toBe('too_short');
    expect(checkPasswordPolicy('😀'.repeat(10))).toBe('ok');
    expect(checkPasswordPolicy('😀'.repeat(256))).toBe('ok');
    expect(checkPasswordPolicy('😀'.repeat(257))).toBe('too_long');
  });

  it('counts each code point of a combined sequence', () => {
    // 👨‍👩‍👧 is man, ZWJ, woman, ZWJ, girl: five code points drawn as one glyph.
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}';
    expect(checkPasswordPolicy(family.repeat(2))).toBe('ok');
    expect(checkPasswordPolicy(`${family}abcd`)).toBe('too_short');
  });

  it('counts non-Latin BMP characters once each', () => {
    expect(checkPasswordPolicy('пароль1234')).toBe('ok');
    expect(checkPasswordPolicy('密码密码密码密码密')).toBe('too_short');
  });
});

describe('bounded concurrency', () => {
  /**
   * Counts the binding's computations in flight (hash and verify alike), records the password
   * each verify started with, and calls `onSettle` as each computation settles.
   */
  function watchComputations(onSettle: () => void = () => {}) {
    const seen = { inFlight: 0, most: 0, started: [] as string[] };
    const watched =
      <Args extends unknown[], R>(real: (...args: Args) => Promise<R>) =>
      async (...args: Args): Promise<R> => {
        seen.inFlight++;
        seen.most = Math.max(seen.most, seen.inFlight);
        try {
          return await real(...args);
        } finally {
          seen.inFlight--;
          onSettle();
        }
      };
    hashSpy.mockImplementation(watched(realHash));
    verifySpy.mockImplementation(
      watched(async (...args: Parameters<typeof realVerify>) => {
        seen.started.push(String(args[1]));
        return realVerify(...args);
      }),
    );
    return seen;
  }

  it('runs at most `concurrency` computations at once, each waiter in arrival order', async () => {
    const phc = await createPasswordHasher(FAST).hash(PASSWORD);
    for (const concurrency of [1, 3]) {
      const seen = watchComputations();
      const hasher = createPasswordHasher(FAST, { concurrency });
      const passwords = ['a', 'b', 'c', 'd', 'e', 'f'].map((suffix) => `${PASSWORD}-${suffix}`);
      const answers = await Promise.all([
        hasher.verify(phc, PASSWORD),
        ...passwords.map((password) => hasher.verify(phc, password)),
      ]);
      expect(answers).toEqual([true, false, false, false, false, false, false]);
      expect(seen.most).toBe(concurrency);
      expect(seen.started).toEqual([PASSWORD, ...passwords]);
    }
  });

  it('frees the turn of a computation that fails, and bounds hash, verify and the dummy together', async () => {
    const seen = watchComputations();
    const hasher = createPasswordHasher(FAST, { concurrency: 1 });
    const phc = await hasher.hash(PASSWORD);
    const answers = await Promise.all([
      hasher.verify('$argon2id$v=19$m=1024,t=1,p=1$bm90IGEgc2FsdA$bm90IGEgaGFzaA', PASSWORD),
      hasher.verify('not a PHC string', PASSWORD),
      hasher.verifyDummy(PASSWORD),
      hasher.hash(PASSWORD).then((fresh) => hasher.verify(fresh, PASSWORD)),
      hasher.verify(phc, PASSWORD),
    ]);
    expect(answers).toEqual([false, false, false, true, true]);
    expect(seen.most).toBe(1);
    expect(seen.inFlight).toBe(0);
  });

  it('hands a freed turn to the oldest waiter, never to a call arriving meanwhile', async () => {
    const phc = await createPasswordHasher(FAST).hash(PASSWORD);
    const hasher = createPasswordHasher(FAST, { concurrency: 1 });
    const newcomers: Array<Promise<boolean>> = [];
    let first = true;
    // As the first computation settles, calls arrive at every microtask for a while: one of them
    // lands between the turn being freed and the waiter taking it.
    const seen = watchComputations(() => {
      if (!first) return;
      first = false;
      let tick = Promise.resolve();
      for (let i = 0; i < 12; i++) {
        tick = tick.then(() => {
          newcomers.push(hasher.verify(phc, `late-${i}`));
        });
      }
    });
    const waiting = [hasher.verify(phc, 'first'), hasher.verify(phc, 'second')];
    await Promise.all(waiting);
    await Promise.all(newcomers);
    expect(newcomers).toHaveLength(12);
    expect(seen.most).toBe(1);
    expect(seen.started.slice(0, 2)).toEqual(['first', 'second']);
    expect(seen.started.slice(2)).toEqual(Array.from({ length: 12 }, (_, i) => `late-${i}`));
  });

  it('refuses a bound below one', () => {
    for (const concurrency of [0, -1, Number.NaN]) {
      expect(() => createPasswordHasher(FAST, { concurrency })).toThrow(RangeError);
    }
  });

  it.each([
    [1, 1, 4, 1],
    [2, 1, 4, 2],
    [2, 2, 4, 1],
    [8, 3, 4, 2],
    [2, 4, 4, 1],
    [0, 1, 4, 1],
    // One pool thread stays free for the WAL's fsync.
    [8, 1, 4, 3],
    [8, 1, 16, 8],
    [4, 1, 1, 1],
  ])(
    'passwordHashConcurrency(%i cores, %i workers, %i pool threads) = %i',
    (cores, workers, pool, expected) => {
      expect(passwordHashConcurrency(cores, workers, pool)).toBe(expected);
    },
  );

  it('the server hashes and verifies with the hasher it was given', async () => {
    const t = await startTestServer(testDatabases[0]!, {
      passwordHasher: createPasswordHasher(FAST, { concurrency: 1 }),
    });
    try {
      const json = (body: unknown) => ({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const email = 'bounded@example.com';
      const registered = await t.request('/api/auth/password/register', json({ email, password: PASSWORD }));
      expect(registered.status).toBe(200);
      const signedIn = await t.request('/api/auth/password/login', json({ email, password: PASSWORD }));
      expect(signedIn.status).toBe(200);
      expect(hashSpy).toHaveBeenCalledWith(PASSWORD, expect.objectContaining({ memoryCost: FAST.memoryKiB }));
      expect(verifySpy).toHaveBeenCalledWith(
        expect.stringMatching(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/),
        PASSWORD,
      );
    } finally {
      await t.close();
    }
  });
});
