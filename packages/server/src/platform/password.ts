/**
 * Password hashing (`/password/*`): Argon2id stored as a PHC string, so the cost can be
 * raised later and old hashes upgraded on the next successful login (`needsRehash`). The native
 * binding lives here so another runtime can supply its own (WASM instead of the native binding).
 */

import type { Algorithm, Options, Version } from '@node-rs/argon2';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';

export interface Argon2Params {
  /** Memory size `m`, in KiB. */
  memoryKiB: number;
  /** Number of passes over memory, `t`. */
  timeCost: number;
  /** Lanes, `p`. */
  parallelism: number;
  saltBytes: number;
  outputBytes: number;
}

/**
 * The documented parameters, which match the OWASP Password Storage Cheat Sheet's first Argon2id row
 * (19 MiB, 2 passes, 1 lane) and RFC 9106 §3.1's 128-bit salt and 256-bit tag.
 */
export const DEFAULT_ARGON2_PARAMS: Readonly<Argon2Params> = Object.freeze({
  memoryKiB: 19456,
  timeCost: 2,
  parallelism: 1,
  saltBytes: 16,
  outputBytes: 32,
});

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

export type PasswordPolicyResult = 'ok' | 'too_short' | 'too_long';

/**
 * 10 to 256 characters (docs/API.md). Characters are Unicode code points, not UTF-16 units, so an
 * emoji outside the BMP counts once rather than twice; a multi-code-point sequence (a ZWJ family,
 * a flag) counts each of its code points. Nothing is truncated: an over-long password is refused,
 * and callers check this before hashing so a megabyte "password" never reaches Argon2.
 */
export function checkPasswordPolicy(password: string): PasswordPolicyResult {
  const length = countCodePoints(password, PASSWORD_MAX_LENGTH + 1);
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  return 'ok';
}

/** Stops at `limit` so the cost of refusing a huge input does not grow with its size. */
function countCodePoints(text: string, limit: number): number {
  let count = 0;
  for (const _ of text) {
    count += 1;
    if (count >= limit) break;
  }
  return count;
}

export interface PasswordHasher {
  /** Argon2id PHC string with a fresh salt. Throws when the password is over the policy maximum. */
  hash(password: string): Promise<string>;
  /** False, never a throw, when the stored hash is malformed: a corrupt row is not a server error. */
  verify(phc: string, password: string): Promise<boolean>;
  /** True when the stored hash was not made with the current algorithm, version and parameters. */
  needsRehash(phc: string): boolean;
  /**
   * The same Argon2 work as `verify` against a hash no password matches, so "no such account"
   * costs what "wrong password" costs (no account-enumeration oracle). Always false.
   */
  verifyDummy(password: string): Promise<false>;
}

// @node-rs/argon2 declares these as `const enum`, which isolatedModules cannot inline and the
// binding does not export at run time, so the numeric members are spelled out here.
const ALGORITHM_ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1 as Version;
/** RFC 9106 §3.1: version 0x13, written `v=19` in a PHC string. */
const PHC_VERSION = 19;

/**
 * How many Argon2id computations `serve` lets one process run at a time: the cores it may use
 * shared among the processes it runs beside (`--workers`), at least one. Each computation keeps
 * one thread busy on 19 MiB of memory; two or more sharing a core evict each other's memory from
 * the core's caches, so each runs longer than its share of the core (docs/PERFORMANCE.md "Seventh
 * pass": four at once on one core verify 100 a second, one at a time 123). At most all but one
 * of libuv's `poolThreads` (UV_THREADPOOL_SIZE, 4 by default): the WAL's fsync, which every
 * SQLite write waits for (platform/wal-sync.ts), runs on that pool too and must not queue behind
 * hashes.
 */
export function passwordHashConcurrency(
  cores: number,
  workers: number,
  poolThreads = Number(process.env.UV_THREADPOOL_SIZE) || 4,
): number {
  return Math.max(1, Math.min(Math.floor(cores / Math.max(1, workers)), poolThreads - 1));
}

export interface PasswordHasherOptions {
  /**
   * The most hash and verify computations (dummy ones included) running at once; the rest wait
   * their turn in arrival order. Default: no bound beyond libuv's thread pool (4 threads unless
   * UV_THREADPOOL_SIZE says otherwise). `serve` passes `passwordHashConcurrency`.
   */
  concurrency?: number;
}

export function createPasswordHasher(
  overrides: Partial<Argon2Params> = {},
  { concurrency = Number.POSITIVE_INFINITY }: PasswordHasherOptions = {},
): PasswordHasher {
  const params: Readonly<Argon2Params> = Object.freeze({ ...DEFAULT_ARGON2_PARAMS, ...overrides });
  assertValidParams(params);
  if (!(concurrency >= 1)) throw new RangeError('password hashing concurrency must be at least 1');
  const turn = turns(concurrency);

  const options = (salt?: Uint8Array): Options => ({
    algorithm: ALGORITHM_ARGON2ID,
    version: VERSION_0X13,
    memoryCost: params.memoryKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
    outputLen: params.outputBytes,
    ...(salt ? { salt } : {}),
  });

  async function hash(password: string): Promise<string> {
    if (checkPasswordPolicy(password) === 'too_long') {
      throw new RangeError('password exceeds the policy maximum; check the policy before hashing');
    }
    // The salt is drawn here rather than left to the binding so its length is ours (RFC 9106 §3.1: 128 bits).
    const salt = crypto.getRandomValues(new Uint8Array(params.saltBytes));
    return turn(() => argon2Hash(password, options(salt)));
  }

  async function verify(phc: string, password: string): Promise<boolean> {
    try {
      // The stored string carries its own parameters, so hashes made before a cost change still verify.
      return await turn(() => argon2Verify(phc, password));
    } catch {
      return false;
    }
  }

  function needsRehash(phc: string): boolean {
    const stored = parsePHC(phc);
    if (!stored) return true;
    return (
      stored.algorithm !== 'argon2id' ||
      stored.version !== PHC_VERSION ||
      stored.memoryKiB !== params.memoryKiB ||
      stored.timeCost !== params.timeCost ||
      stored.parallelism !== params.parallelism ||
      stored.saltBytes !== params.saltBytes ||
      stored.outputBytes !== params.outputBytes
    );
  }

  // Made on first use, not at start-up, so servers without password sign-in never pay for it.
  // The promise is shared so concurrent first calls hash once; a failure is forgotten and retried.
  let dummyHash: Promise<string> | undefined;
  function loadDummyHash(): Promise<string> {
    if (!dummyHash) {
      // A random secret nobody knows, so even the "right" password for the dummy does not exist.
      const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
      const pending = hash(secret);
      pending.catch(() => {
        if (dummyHash === pending) dummyHash = undefined;
      });
      dummyHash = pending;
    }
    return dummyHash;
  }

  async function verifyDummy(password: string): Promise<false> {
    try {
      const dummy = await loadDummyHash();
      await turn(() => argon2Verify(dummy, password));
    } catch {
      // The answer is false whatever happens; only the time spent matters here.
    }
    return false;
  }

  return { hash, verify, needsRehash, verifyDummy };
}

/**
 * Runs tasks at most `limit` at a time, the others in arrival order as earlier ones settle. A
 * settling task hands its turn straight to the oldest waiter, so a newcomer arriving meanwhile
 * cannot take it too; a failed task frees its turn like a successful one.
 */
function turns(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (running < limit) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const oldest = waiting.shift();
      if (oldest) oldest();
      else running--;
    }
  };
}

function assertValidParams(params: Argon2Params): void {
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new RangeError(`invalid Argon2 parameters: ${what}`);
  };
  const isCount = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
  // RFC 9106 §3.1 bounds: p in 1..2^24-1 (the binding caps it at 255), m ≥ 8p KiB, t ≥ 1,
  // salt ≥ 8 bytes, tag ≥ 4 bytes.
  check(isCount(params.parallelism, 1, 255), 'parallelism must be an integer in 1..255');
  check(
    isCount(params.memoryKiB, 8 * params.parallelism, 2 ** 32 - 1),
    'memoryKiB must be ≥ 8 × parallelism',
  );
  check(isCount(params.timeCost, 1, 2 ** 32 - 1), 'timeCost must be ≥ 1');
  check(isCount(params.saltBytes, 8, 64), 'saltBytes must be in 8..64');
  check(isCount(params.outputBytes, 4, 1024), 'outputBytes must be in 4..1024');
}

interface ParsedPHC {
  algorithm: string;
  version: number;
  memoryKiB: number;
  timeCost: number;
  parallelism: number;
  saltBytes: number;
  outputBytes: number;
}

// PHC string format as the reference Argon2 implementation writes it: unpadded standard base64,
// parameters in the fixed order m, t, p. Hashes from before version 0x13 have no `v=` and are
// treated as unparseable, which makes them due for a rehash.
const PHC_PATTERN =
  /^\$(argon2(?:id|i|d))\$v=(\d{1,10})\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function parsePHC(phc: string): ParsedPHC | undefined {
  const match = PHC_PATTERN.exec(phc);
  if (!match) return undefined;
  const [, algorithm, version, memory, time, lanes, salt, output] = match;
  if (!algorithm || !version || !memory || !time || !lanes || !salt || !output) return undefined;
  return {
    algorithm,
    version: Number(version),
    memoryKiB: Number(memory),
    timeCost: Number(time),
    parallelism: Number(lanes),
    saltBytes: decodedLength(salt),
    outputBytes: decodedLength(output),
  };
}

/** Bytes encoded by unpadded base64 of this many characters. */
function decodedLength(base64: string): number {
  return Math.floor((base64.length * 3) / 4);
}
