/**
 * The global fetch as Pylon calls it, on Workers. Workers accept `redirect: 'follow'` or
 * `'manual'` only and throw on `'error'` (which Pylon's HTTP mail delivery uses, so that a redirect
 * never replays a message elsewhere): here `'error'` is sent as `'manual'`, and a redirect answer
 * fails as Node's fetch would fail it, with a TypeError before anyone reads it.
 */
export function workersFetch(inner: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    if (init?.redirect !== 'error') return inner(input, init);
    const response = await inner(input, { ...init, redirect: 'manual' });
    if (response.status >= 300 && response.status < 400 && response.headers.has('location')) {
      await response.body?.cancel().catch(() => undefined);
      throw new TypeError('fetch failed: redirect refused (redirect: error)');
    }
    return response;
  };
}
