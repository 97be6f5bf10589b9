import { describe, expect, it } from 'vitest';
import { isPending, promiseOf, thenNow } from '../src/awaitable.js';

/** A promise-like that is not this realm's Promise (a foreign library's, another realm's). */
const thenable = <T>(value: T) =>
  ({
    // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a Promise is what this checks.
    then: (resolve: (value: T) => void) => resolve(value),
  }) as unknown as PromiseLike<T>;

describe('isPending', () => {
  it('is true for a promise and for any thenable, false for every plain value', () => {
    expect(isPending(Promise.resolve(1))).toBe(true);
    expect(isPending(thenable(1))).toBe(true);
    // biome-ignore lint/suspicious/noThenProperty: a callable thenable counts as one too.
    const callable = Object.assign(() => 1, { then: () => undefined });
    expect(isPending(callable)).toBe(true);
    // biome-ignore lint/suspicious/noThenProperty: a `then` that is not a function is no thenable.
    const notCallable = { then: 'not a function' };
    for (const value of [null, undefined, 0, '', 'then', {}, [], notCallable, () => 1]) {
      expect(isPending(value)).toBe(false);
    }
  });
});

describe('thenNow', () => {
  it('applies the next step at once to a value that is here: no promise, no turn', () => {
    const steps: string[] = [];
    const answer = thenNow(2, (value) => {
      steps.push('next');
      return value * 21;
    });
    steps.push('after');
    expect(answer).toBe(42);
    expect(steps).toEqual(['next', 'after']);
    // Chained steps that all have their values stay a value.
    expect(
      thenNow(
        thenNow('a', (a) => `${a}b`),
        (ab) => `${ab}c`,
      ),
    ).toBe('abc');
  });

  it("throws the next step's throw at once for a value that is here", () => {
    expect(() =>
      thenNow(1, () => {
        throw new Error('refused');
      }),
    ).toThrow('refused');
  });

  it('waits for a promise or a thenable: the next step runs after it, a throw is the rejection', async () => {
    const steps: string[] = [];
    const answer = thenNow(Promise.resolve(2), (value) => {
      steps.push('next');
      return value + 1;
    });
    steps.push('after');
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe(3);
    expect(steps).toEqual(['after', 'next']);
    expect(await thenNow(thenable(5) as Promise<number>, (value) => value * 2)).toBe(10);
    await expect(
      thenNow(Promise.resolve(1), () => {
        throw new Error('later');
      }),
    ).rejects.toThrow('later');
    await expect(thenNow(Promise.reject(new Error('upstream')), () => 1)).rejects.toThrow('upstream');
  });

  it('lets a step that has its value return a promise when it must wait', async () => {
    const answer = thenNow(1, (value) => Promise.resolve(value + 1));
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe(2);
  });
});

describe('promiseOf', () => {
  it("is always a promise: of the step's value, of its promise, and its throw as the rejection", async () => {
    const now = promiseOf(() => 1);
    expect(now).toBeInstanceOf(Promise);
    expect(await now).toBe(1);
    expect(await promiseOf(() => Promise.resolve(2))).toBe(2);
    let thrown: Promise<never> | undefined;
    expect(() => {
      thrown = promiseOf(() => {
        throw new Error('at once');
      });
    }).not.toThrow();
    await expect(thrown).rejects.toThrow('at once');
    await expect(promiseOf(() => Promise.reject(new Error('later')))).rejects.toThrow('later');
  });
});
