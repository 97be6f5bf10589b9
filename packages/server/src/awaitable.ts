/**
 * Answers now when they can, later only when they must. The hot paths (`GET /api/auth/me`,
 * `POST /token`, `GET /whoami`) are chains of small steps — the caller's resolution, the session's
 * read, the standing or capabilities from the per-process cache — that on SQLite are usually all
 * answered from memory without I/O. Written as `async` functions, every step would still cost a
 * promise and a turn of the microtask queue; a step typed `Awaitable` returns its value itself
 * when it has it, and a promise only when it has to wait (a read through Kysely, PostgreSQL, a
 * cache miss). `await` takes either, so callers off the hot path need not care.
 *
 * The one rule a caller of an `Awaitable` step must keep: it may throw at once as well as reject
 * later, so whoever ends the chain catches both (http/direct-lane.ts; an `async` function's
 * `await` does it by itself).
 */
export type Awaitable<T> = T | Promise<T>;

/**
 * Whether `value` is still to come: any thenable, not only this realm's Promise — a promise must
 * never be taken for the value it has yet to produce.
 */
export function isPending<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as Partial<PromiseLike<unknown>>).then === 'function'
  );
}

/**
 * `next` applied to `value`: at once when the value is here (and a throw of `next` is thrown), else
 * once it has arrived (a promise, and a throw its rejection).
 */
export function thenNow<T, U>(value: Awaitable<T>, next: (value: T) => Awaitable<U>): Awaitable<U> {
  return isPending(value) ? Promise.resolve(value).then(next) : next(value);
}

/**
 * A promise of what `step` answers, for callers that promise one: its value, its promise, or its
 * throw as the rejection.
 */
export function promiseOf<T>(step: () => Awaitable<T>): Promise<T> {
  try {
    return Promise.resolve(step());
  } catch (error) {
    return Promise.reject(error);
  }
}
