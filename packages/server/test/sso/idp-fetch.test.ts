import { describe, expect, it } from 'vitest';
import {
  createIdPFetch,
  IdPAnswerTooLargeError,
  InsecureIdPRequestError,
} from '../../src/features/sso/idp-fetch.js';

/** Every request an org's OIDC IdP receives from Pylon goes through this fetch (idp-fetch.ts). */
describe('the IdP fetch', () => {
  const loopbackOnly = (url: URL) => url.hostname === '127.0.0.1';
  const recording = (body: BodyInit | null = '{}', headers: Record<string, string> = {}) => {
    const asked: string[] = [];
    const fetch = (async (url: URL) => {
      asked.push(url.href);
      return new Response(body, { status: 200, headers: { 'content-type': 'application/json', ...headers } });
    }) as typeof globalThis.fetch;
    return { asked, fetch };
  };

  it('refuses plain http to a host allowHTTP does not approve, before any request', async () => {
    const { asked, fetch } = recording();
    const idpFetch = createIdPFetch({ fetch, allowHTTP: loopbackOnly, maxBytes: 1024 });
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/jwks']) {
      await expect(idpFetch(url, { method: 'GET' } as never)).rejects.toBeInstanceOf(InsecureIdPRequestError);
    }
    expect(asked).toEqual([]);
    expect((await idpFetch('http://127.0.0.1:9/jwks', {} as never)).status).toBe(200);
    expect((await idpFetch('https://idp.example/jwks', {} as never)).status).toBe(200);
    expect(asked).toEqual(['http://127.0.0.1:9/jwks', 'https://idp.example/jwks']);
  });

  it('hands on an answer within the cap, and refuses one over it, declared or streamed', async () => {
    const within = recording('{"keys":[]}');
    const ok = await createIdPFetch({ fetch: within.fetch, allowHTTP: loopbackOnly, maxBytes: 64 })(
      'https://idp.example/jwks',
      {} as never,
    );
    expect(await ok.json()).toEqual({ keys: [] });

    const declared = recording('x', { 'content-length': '1000000' });
    await expect(
      createIdPFetch({ fetch: declared.fetch, allowHTTP: loopbackOnly, maxBytes: 64 })(
        'https://idp.example/jwks',
        {} as never,
      ),
    ).rejects.toBeInstanceOf(IdPAnswerTooLargeError);

    // A body that never ends: only a capped read returns.
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls += 1;
        controller.enqueue(new Uint8Array(16));
      },
    });
    const streamed = recording(endless);
    await expect(
      createIdPFetch({ fetch: streamed.fetch, allowHTTP: loopbackOnly, maxBytes: 64 })(
        'https://idp.example/jwks',
        {} as never,
      ),
    ).rejects.toBeInstanceOf(IdPAnswerTooLargeError);
    expect(pulls).toBeLessThan(10);
  });
});
